//! A value made once, in the background, while the server already answers: a fresh data
//! directory's signing key, the hash unknown addresses are checked against. Whatever needs
//! it first waits for it; nothing waits for it at start-up.

use std::sync::Arc;

use futures::future::{BoxFuture, FutureExt as _, Shared};

pub struct Later<T>(Shared<BoxFuture<'static, Result<Arc<T>, Arc<str>>>>);

impl<T: Send + Sync + 'static> Later<T> {
    /// A value there already.
    pub fn ready(value: T) -> Self {
        Self(futures::future::ready(Ok(Arc::new(value))).boxed().shared())
    }

    /// Starts making the value now, as a task of its own.
    pub fn spawn(make: impl Future<Output = anyhow::Result<T>> + Send + 'static) -> Self {
        let task = tokio::spawn(make);
        let value = async move {
            match task.await {
                Ok(Ok(value)) => Ok(Arc::new(value)),
                Ok(Err(error)) => Err(Arc::from(format!("{error:#}"))),
                Err(error) => Err(Arc::from(error.to_string())),
            }
        };
        Self(value.boxed().shared())
    }

    /// The value, once made (a failure to make it is every caller's error).
    pub async fn get(&self) -> anyhow::Result<Arc<T>> {
        self.0.clone().await.map_err(|error| anyhow::anyhow!("{error}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_caller_gets_the_one_value_or_the_one_error() {
        let made = Later::spawn(async { Ok(7) });
        let (a, b) = (made.get().await.unwrap(), made.get().await.unwrap());
        assert!(Arc::ptr_eq(&a, &b), "made once");
        let failed: Later<u8> = Later::spawn(async { anyhow::bail!("no disk") });
        assert_eq!(failed.get().await.unwrap_err().to_string(), "no disk");
        assert_eq!(*Later::ready(3).get().await.unwrap(), 3);
    }
}
