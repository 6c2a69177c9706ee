//! Dubbo's response status byte, as plain data.

use std::fmt;

/// The status byte of a Dubbo response (spec §1.2), with the numbers Dubbo Java uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Status(pub u8);

impl Status {
    /// 20: success.
    pub const OK: Status = Status(20);
    /// 25: the response could not be serialized (for example, over the payload limit).
    pub const SERIALIZATION_ERROR: Status = Status(25);
    /// 30: the consumer timed out before the request was sent.
    pub const CLIENT_TIMEOUT: Status = Status(30);
    /// 31: the consumer timed out waiting for the response.
    pub const SERVER_TIMEOUT: Status = Status(31);
    /// 35: the channel closed while the call was pending.
    pub const CHANNEL_INACTIVE: Status = Status(35);
    /// 40: the provider could not decode the request.
    pub const BAD_REQUEST: Status = Status(40);
    /// 50: the provider failed to encode the response.
    pub const BAD_RESPONSE: Status = Status(50);
    /// 60: defined by Dubbo, not sent by Java 3.x (a missing service arrives as 70).
    pub const SERVICE_NOT_FOUND: Status = Status(60);
    /// 70: the provider's handler failed, including "not found exported service".
    pub const SERVICE_ERROR: Status = Status(70);
    /// 80: the provider failed while executing the call.
    pub const SERVER_ERROR: Status = Status(80);
    /// 90: the consumer could not decode the response.
    pub const CLIENT_ERROR: Status = Status(90);
    /// 100: the provider's thread pool is exhausted.
    pub const SERVER_THREADPOOL_EXHAUSTED: Status = Status(100);

    /// Dubbo's name for this status, or `"UNKNOWN"`.
    pub fn name(self) -> &'static str {
        match self.0 {
            20 => "OK",
            25 => "SERIALIZATION_ERROR",
            30 => "CLIENT_TIMEOUT",
            31 => "SERVER_TIMEOUT",
            35 => "CHANNEL_INACTIVE",
            40 => "BAD_REQUEST",
            50 => "BAD_RESPONSE",
            60 => "SERVICE_NOT_FOUND",
            70 => "SERVICE_ERROR",
            80 => "SERVER_ERROR",
            90 => "CLIENT_ERROR",
            100 => "SERVER_THREADPOOL_EXHAUSTED_ERROR",
            _ => "UNKNOWN",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name(), self.0)
    }
}
