//! Message encoding for both [`PayloadFormat`]s: protobuf binary (prost) and the protobuf
//! JSON mapping (prost-reflect, from the descriptors generated code embeds).

use std::fmt;
use std::sync::OnceLock;

use oxidubbo_protocol::triple::call::PayloadFormat;
use prost::Message;
use prost_reflect::{DescriptorPool, DynamicMessage, MessageDescriptor};

use super::Status;

/// The encoded `FileDescriptorSet` of a compiled `.proto` package and of the files it
/// imports, decoded once, when a message is first encoded or decoded as JSON.
///
/// `oxidubbo-build` embeds one per package (`DESCRIPTORS` in the generated module), so
/// that the protobuf JSON mapping needs nothing but `prost` in the user's crate.
pub struct Descriptors {
    encoded: &'static [u8],
    pool: OnceLock<Result<DescriptorPool, String>>,
}

impl Descriptors {
    /// Descriptors from an encoded `google.protobuf.FileDescriptorSet`.
    pub const fn new(encoded: &'static [u8]) -> Descriptors {
        Descriptors {
            encoded,
            pool: OnceLock::new(),
        }
    }

    /// The encoded `FileDescriptorSet`.
    pub fn encoded(&self) -> &'static [u8] {
        self.encoded
    }

    fn message(&self, name: &str) -> Result<MessageDescriptor, Status> {
        let pool = self
            .pool
            .get_or_init(|| DescriptorPool::decode(self.encoded).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|e| Status::internal(format!("the embedded descriptors are invalid: {e}")))?;
        pool.get_message_by_name(name).ok_or_else(|| {
            Status::internal(format!("message {name} is not in the embedded descriptors"))
        })
    }
}

impl fmt::Debug for Descriptors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Descriptors")
            .field("encoded_len", &self.encoded.len())
            .field("decoded", &self.pool.get().is_some())
            .finish()
    }
}

/// Encodes and decodes messages in one [`PayloadFormat`].
///
/// Messages are named by their full protobuf name (`greet.GreetRequest`), which the JSON
/// mapping looks up in the [`Descriptors`]. JSON is the standard mapping: lowerCamelCase
/// field names, fields at their default value left out, enums by name, 64-bit integers as
/// strings, well-known types in their special forms; unknown fields are refused.
///
/// Failures are [`Code::Internal`](super::Code::Internal) statuses naming the message.
#[derive(Debug, Clone, Copy)]
pub struct Codec {
    format: PayloadFormat,
    descriptors: &'static Descriptors,
}

impl Codec {
    /// A codec of `format` reading JSON names from `descriptors`.
    pub fn new(format: PayloadFormat, descriptors: &'static Descriptors) -> Codec {
        Codec {
            format,
            descriptors,
        }
    }

    /// The format.
    pub fn format(&self) -> PayloadFormat {
        self.format
    }

    /// The descriptors JSON names are read from.
    pub fn descriptors(&self) -> &'static Descriptors {
        self.descriptors
    }

    /// `message` (of protobuf type `name`) encoded.
    ///
    /// # Errors
    ///
    /// An internal status when `name` is not in the descriptors or the message does not
    /// fit them (JSON only).
    pub fn encode<M: Message>(&self, message: &M, name: &str) -> Result<Vec<u8>, Status> {
        match self.format {
            PayloadFormat::Protobuf => Ok(message.encode_to_vec()),
            PayloadFormat::Json => {
                let descriptor = self.descriptors.message(name)?;
                let dynamic =
                    DynamicMessage::decode(descriptor, message.encode_to_vec().as_slice())
                        .map_err(|e| Status::internal(format!("encoding {name} as JSON: {e}")))?;
                serde_json::to_vec(&dynamic)
                    .map_err(|e| Status::internal(format!("encoding {name} as JSON: {e}")))
            }
        }
    }

    /// A message of protobuf type `name` decoded from `bytes`.
    ///
    /// # Errors
    ///
    /// An internal status saying why `bytes` are not such a message.
    pub fn decode<M: Message + Default>(&self, bytes: &[u8], name: &str) -> Result<M, Status> {
        match self.format {
            PayloadFormat::Protobuf => {
                M::decode(bytes).map_err(|e| Status::internal(format!("decoding {name}: {e}")))
            }
            PayloadFormat::Json => {
                let descriptor = self.descriptors.message(name)?;
                let mut de = serde_json::Deserializer::from_slice(bytes);
                let dynamic = DynamicMessage::deserialize(descriptor, &mut de)
                    .and_then(|m| de.end().map(|()| m))
                    .map_err(|e| Status::internal(format!("decoding {name} from JSON: {e}")))?;
                dynamic
                    .transcode_to::<M>()
                    .map_err(|e| Status::internal(format!("decoding {name} from JSON: {e}")))
            }
        }
    }
}
