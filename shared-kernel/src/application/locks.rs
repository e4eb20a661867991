//! Per-key turns within one process: commands on one key (a hot stream, a payment at its
//! provider) run one at a time here, so local contention never turns into conflicts or
//! crossing calls.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, PoisonError};

use futures::lock::{Mutex as AsyncMutex, OwnedMutexGuard};

/// One async lock per key, created on demand and forgotten when nobody holds or awaits it.
#[derive(Debug)]
pub struct KeyedLocks<K> {
    locks: Mutex<HashMap<K, Arc<AsyncMutex<()>>>>,
}

impl<K> Default for KeyedLocks<K> {
    fn default() -> Self {
        Self {
            locks: Mutex::new(HashMap::new()),
        }
    }
}

/// A key's turn: while held, no other holder of the same key runs here.
#[derive(Debug)]
pub struct Turn<'a, K: Eq + Hash> {
    locks: &'a KeyedLocks<K>,
    key: K,
    guard: Option<OwnedMutexGuard<()>>,
}

impl<K: Eq + Hash + Clone> KeyedLocks<K> {
    /// Waits for `key`'s turn.
    pub async fn lock(&self, key: K) -> Turn<'_, K> {
        let lock = Arc::clone(
            self.locks
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .entry(key.clone())
                .or_default(),
        );
        Turn {
            locks: self,
            key,
            guard: Some(lock.lock_owned().await),
        }
    }

    /// How many keys have a lock now (held or awaited).
    #[must_use]
    pub fn len(&self) -> usize {
        self.locks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Whether no key has a lock now.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<K: Eq + Hash> Drop for Turn<'_, K> {
    fn drop(&mut self) {
        drop(self.guard.take());
        let mut locks = self
            .locks
            .locks
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // Only the table's own reference left: nobody holds or waits for this key.
        if locks
            .get(&self.key)
            .is_some_and(|l| Arc::strong_count(l) == 1)
        {
            locks.remove(&self.key);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_forgotten_once_its_turn_ends() {
        futures::executor::block_on(async {
            let locks = KeyedLocks::<u32>::default();
            let first = locks.lock(1).await;
            let other = locks.lock(2).await;
            assert_eq!(locks.len(), 2);
            drop(first);
            drop(other);
            assert!(locks.is_empty());
        });
    }
}
