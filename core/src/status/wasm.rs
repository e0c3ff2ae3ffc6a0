//! The JavaScript shapes of the status results that are more than their fields (feature
//! `wasm`): a [`StatusRequest`] groups its headers the way `fetch` takes them, and a
//! [`Notification`] carries its per-recipient states and `allFinal`. Both borrow from the
//! core's values; events, recipient states and timestamps derive their own shapes.

use super::{Notification, RecipientState, StatusEvent, StatusRequest, Timestamp};
use serde::{Serialize, Serializer};

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` ([`Timestamp::to_rfc3339`]).
impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_rfc3339())
    }
}

/// As `StatusRequestData`.
impl Serialize for StatusRequest {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        StatusRequestData {
            method: self.method,
            url: &self.url,
            headers: StatusRequestHeaders {
                authorization: &self.authorization,
                accept: self.accept,
            },
        }
        .serialize(s)
    }
}

/// As `NotificationData`.
impl Serialize for Notification {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        NotificationData {
            found: self.found,
            notification_id: self.notification_id.as_deref(),
            events: &self.events,
            recipients: self.recipients(),
            all_final: self.all_final(),
        }
        .serialize(s)
    }
}

/// The headers of a status request (names in lower case, as `fetch` takes them).
#[derive(Serialize, tsify_next::Tsify)]
struct StatusRequestHeaders<'a> {
    /// `Basic …`: a credential, never log it.
    authorization: &'a str,
    /// The accepted media type.
    accept: &'a str,
}

/// A ready-to-send request: pass `url` and `{method, headers}` to `fetch`.
#[derive(Serialize, tsify_next::Tsify)]
struct StatusRequestData<'a> {
    /// Always `GET`.
    #[tsify(type = "\"GET\"")]
    method: &'a str,
    /// The full URL.
    url: &'a str,
    /// The request headers.
    headers: StatusRequestHeaders<'a>,
}

/// A parsed status response.
#[derive(Serialize, tsify_next::Tsify)]
#[serde(rename_all = "camelCase")]
#[tsify(missing_as_null)]
struct NotificationData<'a> {
    /// False for `{}` (expired after 7 days, or unknown).
    found: bool,
    /// The notification id, or `null`.
    notification_id: Option<&'a str>,
    /// Every event, in response order.
    #[tsify(type = "StatusEventData[]")]
    events: &'a [StatusEvent],
    /// Every recipient's latest state, in order of first appearance.
    #[tsify(type = "RecipientStateData[]")]
    recipients: Vec<RecipientState>,
    /// Found, with events, and every recipient's latest state final: a wait loop stops.
    all_final: bool,
}
