//! A shared, append-only list of delivered items that wakes waiters on arrival.

use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::watch;

/// Something delivered to one or more recipients.
pub trait Delivered: Clone {
    fn id(&self) -> u64;
    fn is_for(&self, recipient: &str) -> bool;
}

/// Items in arrival order, with ids that only grow (they survive [`Inbox::clear`]).
pub struct Inbox<T> {
    items: Mutex<(u64, Vec<T>)>,
    arrivals: watch::Sender<u64>,
}

impl<T> Default for Inbox<T> {
    fn default() -> Self {
        Self { items: Mutex::new((0, Vec::new())), arrivals: watch::channel(0).0 }
    }
}

impl<T: Delivered> Inbox<T> {
    /// Stores the item built from the next id and wakes every waiter.
    pub fn push(&self, build: impl FnOnce(u64) -> T) -> T {
        let item = {
            let mut guard = self.items.lock().expect("inbox lock");
            guard.0 += 1;
            let item = build(guard.0);
            guard.1.push(item.clone());
            item
        };
        self.arrivals.send_replace(item.id());
        item
    }

    pub fn all(&self) -> Vec<T> {
        self.items.lock().expect("inbox lock").1.clone()
    }

    /// Items for `recipient`, oldest first; every item when `recipient` is `None`.
    pub fn filtered(&self, recipient: Option<&str>) -> Vec<T> {
        let guard = self.items.lock().expect("inbox lock");
        guard.1.iter().filter(|i| recipient.is_none_or(|r| i.is_for(r))).cloned().collect()
    }

    pub fn get(&self, id: u64) -> Option<T> {
        self.items.lock().expect("inbox lock").1.iter().find(|i| i.id() == id).cloned()
    }

    pub fn latest(&self, recipient: &str) -> Option<T> {
        self.find(|i| i.is_for(recipient))
    }

    /// The id of the newest item ever stored (0 when none): a cursor for [`Inbox::wait_after`].
    pub fn cursor(&self) -> u64 {
        self.items.lock().expect("inbox lock").0
    }

    pub fn clear(&self) {
        self.items.lock().expect("inbox lock").1.clear();
    }

    /// The newest item matching `predicate`.
    pub fn find(&self, predicate: impl Fn(&T) -> bool) -> Option<T> {
        self.items.lock().expect("inbox lock").1.iter().rev().find(|i| predicate(i)).cloned()
    }

    /// Waits (without polling) until an item for `recipient` newer than `after` arrives, and
    /// returns the first such item; `None` when `timeout` passes first.
    pub async fn wait_after(&self, recipient: &str, after: u64, timeout: Duration) -> Option<T> {
        let first_new = || {
            let guard = self.items.lock().expect("inbox lock");
            guard.1.iter().find(|i| i.id() > after && i.is_for(recipient)).cloned()
        };
        // Subscribing before looking means an arrival between the look and the wait still
        // wakes us.
        let mut arrivals = self.arrivals.subscribe();
        let wait = async {
            loop {
                if let Some(item) = first_new() {
                    return item;
                }
                if arrivals.changed().await.is_err() {
                    std::future::pending::<()>().await;
                }
            }
        };
        match tokio::time::timeout(timeout, wait).await {
            Ok(item) => Some(item),
            Err(_) => first_new(),
        }
    }

    /// Waits until any item for `recipient` is present (an existing one counts).
    pub async fn wait_for(&self, recipient: &str, timeout: Duration) -> Option<T> {
        if let Some(item) = self.latest(recipient) {
            return Some(item);
        }
        self.wait_after(recipient, 0, timeout).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[derive(Clone, Debug, PartialEq)]
    struct Note(u64, &'static str);
    impl Delivered for Note {
        fn id(&self) -> u64 {
            self.0
        }
        fn is_for(&self, r: &str) -> bool {
            self.1 == r
        }
    }

    #[tokio::test]
    async fn waiter_wakes_on_arrival_and_sees_only_newer_items() {
        let inbox = Arc::new(Inbox::<Note>::default());
        inbox.push(|id| Note(id, "a"));
        let cursor = inbox.cursor();
        let waiter = {
            let inbox = inbox.clone();
            tokio::spawn(async move { inbox.wait_after("a", cursor, Duration::from_secs(30)).await })
        };
        tokio::task::yield_now().await;
        inbox.push(|id| Note(id, "b"));
        inbox.push(|id| Note(id, "a"));
        assert_eq!(waiter.await.unwrap(), Some(Note(3, "a")));
    }

    #[tokio::test]
    async fn wait_times_out_without_a_match() {
        let inbox = Inbox::<Note>::default();
        inbox.push(|id| Note(id, "b"));
        assert_eq!(inbox.wait_after("a", 0, Duration::from_millis(20)).await, None);
        assert_eq!(inbox.filtered(Some("b")).len(), 1);
        inbox.clear();
        assert!(inbox.all().is_empty());
        assert_eq!(inbox.cursor(), 1, "ids keep growing after a clear");
    }
}
