//! `extract_notification_id` over `email365::notification_id`.

use pyo3::prelude::*;

/// The notification id in a final reply to the message data, or `None`.
#[pyfunction]
pub(crate) fn extract_notification_id(reply: &str) -> Option<String> {
    email365::notification_id::extract_notification_id(reply)
}
