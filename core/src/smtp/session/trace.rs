//! `tracing` spans and events of a session (feature `tracing`): a span per connection
//! with its host and port, events for the connection, TLS, each transcript line (the
//! engine's own text, credentials already `<redacted>`) and each delivery's outcome.
//! Without the feature every function here is empty and [`ConnSpan`] holds nothing.

use super::Direction;
use crate::error::Result;
use crate::smtp::engine::Delivery;

/// The span of the current connection (nothing without the feature).
#[derive(Debug, Default, Clone)]
pub(super) struct ConnSpan {
    #[cfg(feature = "tracing")]
    span: Option<tracing::Span>,
}

/// The event target of every session event.
#[cfg(feature = "tracing")]
const TARGET: &str = "email365::smtp";

impl ConnSpan {
    /// A new connection to `host`:`port` was opened.
    pub(super) fn connected(host: &str, port: u16) -> ConnSpan {
        #[cfg(feature = "tracing")]
        {
            let span = tracing::info_span!(target: TARGET, "smtp_connection", host, port);
            tracing::info!(target: TARGET, parent: &span, host, port, "connected");
            ConnSpan { span: Some(span) }
        }
        #[cfg(not(feature = "tracing"))]
        {
            let _ = (host, port);
            ConnSpan::default()
        }
    }

    /// The TLS handshake completed (STARTTLS or implicit TLS).
    pub(super) fn tls_established(&self, server_name: &str) {
        #[cfg(feature = "tracing")]
        if let Some(span) = &self.span {
            tracing::info!(target: TARGET, parent: span, server_name, "TLS established");
        }
        #[cfg(not(feature = "tracing"))]
        let _ = server_name;
    }

    /// A transcript line (a command sent or a reply line received).
    pub(super) fn line(&self, dir: Direction, line: &str) {
        #[cfg(feature = "tracing")]
        if let Some(span) = &self.span {
            let direction = match dir {
                Direction::Sent => "sent",
                Direction::Received => "received",
            };
            tracing::debug!(target: TARGET, parent: span, direction, line);
        }
        #[cfg(not(feature = "tracing"))]
        let _ = (dir, line);
    }

    /// The connection was closed.
    pub(super) fn closed(&self) {
        #[cfg(feature = "tracing")]
        if let Some(span) = &self.span {
            tracing::debug!(target: TARGET, parent: span, "connection closed");
        }
    }

    /// A message's outcome: its notification id, or the error's kind and reason.
    pub(super) fn outcome(&self, r: &Result<Delivery>) {
        #[cfg(feature = "tracing")]
        {
            let parent = self.span.as_ref().and_then(|s| s.id());
            match r {
                Ok(d) => tracing::info!(
                    target: TARGET,
                    parent: parent,
                    notification_id = d.notification_id.as_deref(),
                    code = d.final_reply.code,
                    accepted = d.accepted.len(),
                    rejected = d.rejected.len(),
                    "delivered"
                ),
                Err(e) => tracing::warn!(
                    target: TARGET,
                    parent: parent,
                    kind = e.kind().as_str(),
                    reason = e.reason(),
                    "not delivered"
                ),
            }
        }
        #[cfg(not(feature = "tracing"))]
        let _ = r;
    }
}
