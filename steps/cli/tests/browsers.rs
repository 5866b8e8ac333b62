//! A browser handed from one scenario to the next is, to the service, a new browser: what the
//! first scenario left — the service's session, cookies of every site, local and session
//! storage of the origins it visited — is gone before the next one starts.

use std::collections::BTreeSet;

use conformance::driver::browsers::BrowserPool;
use conformance::driver::chromedriver::ChromeDriver;
use conformance_cli::in_process::InProcess;
use fantoccini::Locator;
use serde_json::json;

const LEAVE_TRACES: &str = r#"
    localStorage.setItem("left", "by the last scenario");
    sessionStorage.setItem("left", "by the last scenario");
    document.cookie = "left=by-the-last-scenario; path=/; max-age=3600";
"#;

const READ_TRACES: &str = r#"
    return { cookie: document.cookie, local: localStorage.length, session: sessionStorage.length };
"#;

fn origin(url: &str) -> String {
    url::Url::parse(url).unwrap().origin().ascii_serialization()
}

#[tokio::test]
async fn a_wiped_browser_keeps_nothing_of_the_last_scenario() {
    let server = InProcess::start(reference_server::Policy::default()).await.expect("server");
    let base = server.server.base_url.clone();
    let other_site = server.fakes.api_url();
    let chromedriver = ChromeDriver::start().await.expect("ChromeDriver");
    let browsers = BrowserPool::new(chromedriver.endpoint.clone());

    // The last scenario: a sign-up under way (the service's session cookie is set), and traces
    // in two origins' storage and cookies.
    let client = browsers.take().await.expect("a browser");
    let session = client.session_id().await.unwrap();
    client.goto(&format!("{base}/sign-up")).await.unwrap();
    client
        .find(Locator::Css("input[name=email]"))
        .await
        .unwrap()
        .send_keys("left@example.test")
        .await
        .unwrap();
    client.find(Locator::Css("main form button[type=submit]")).await.unwrap().click().await.unwrap();
    client.wait().for_url(&url::Url::parse(&format!("{base}/sign-up/check-email")).unwrap()).await.unwrap();
    client.execute(LEAVE_TRACES, vec![]).await.unwrap();
    client.goto(&other_site).await.unwrap();
    client.execute(LEAVE_TRACES, vec![]).await.unwrap();
    assert!(!client.get_all_cookies().await.unwrap().is_empty(), "the traces were left");
    let visited: BTreeSet<String> = [origin(&base), origin(&other_site)].into();
    browsers.give_back(client, &visited).await;

    // The next scenario gets the same browser, with nothing left in it.
    let client = browsers.take().await.expect("a browser");
    assert_eq!(client.session_id().await.unwrap(), session, "the browser was reused, not started again");
    let history = client.execute("return [location.href, history.length]", vec![]).await.unwrap();
    assert_eq!(history, json!(["about:blank", 1]), "a fresh tab, with no history");
    for site in [&base, &other_site] {
        client.goto(site).await.unwrap();
        let cookies: Vec<String> =
            client.get_all_cookies().await.unwrap().iter().map(|c| c.name().to_owned()).collect();
        assert!(cookies.is_empty(), "cookies at {site}: {cookies:?}");
        let traces = client.execute(READ_TRACES, vec![]).await.unwrap();
        assert_eq!(traces, json!({ "cookie": "", "local": 0, "session": 0 }), "no storage at {site}");
    }
    // The service sees a new device: the sign-up under way is not this browser's.
    client.goto(&format!("{base}/sign-up/check-email")).await.unwrap();
    let path = url::Url::parse(client.current_url().await.unwrap().as_str()).unwrap().path().to_owned();
    assert_eq!(path, "/sign-up", "the service still knew the last scenario's sign-up");

    browsers.close_all().await;
    drop(chromedriver);
    server.server.stop();
}
