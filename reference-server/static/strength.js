// Password strength meter: progressive enhancement for the password fields marked
// data-strength. The page works without it; with it, the score and advice follow typing.
// Guidance only: the meter never blocks a password (PW-2).
(function () {
  "use strict";
  var words = ["Very weak", "Weak", "Fair", "Strong", "Very strong"];
  document.querySelectorAll("input[data-strength]").forEach(function (input) {
    var out = document.getElementById(input.getAttribute("data-strength"));
    if (!out) { return; }
    var timer = null, seq = 0;
    function show(result, length) {
      out.hidden = false;
      out.setAttribute("data-score", String(result.score));
      out.setAttribute("data-length", String(length));
      out.querySelector(".strength-bar").setAttribute("data-score", String(result.score));
      out.querySelector(".strength-word").textContent = "Strength: " + words[result.score];
      var advice = out.querySelector(".strength-advice");
      advice.textContent = "";
      [result.warning].concat(result.suggestions || []).forEach(function (line) {
        if (!line) { return; }
        var item = document.createElement("li");
        item.textContent = line;
        advice.appendChild(item);
      });
    }
    function check() {
      var value = input.value, mine = ++seq;
      if (!value) { out.hidden = true; out.removeAttribute("data-score"); return; }
      fetch("/api/v1/password/strength", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        credentials: "same-origin",
        body: JSON.stringify({ password: value })
      }).then(function (r) { return r.ok ? r.json() : null; }).then(function (result) {
        // Only the newest answer counts: typing may outrun the network.
        if (result && mine === seq) { show(result, Array.from(value).length); }
      }).catch(function () { /* the meter is advice; the form still works */ });
    }
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(check, 150);
    });
  });
})();
