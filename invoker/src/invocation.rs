//! `Invocation` and `RpcResult`: what goes into a call and what comes out.

use std::borrow::Cow;
use std::sync::Arc;

use oxidubbo_common::Url;
use oxidubbo_hessian2::Value;

use crate::{Attachments, Attributes, MethodName};

/// One call: method, parameter types, arguments and attachments.
///
/// Cloning is cheap enough to retry: the arguments sit behind an `Arc`.
#[derive(Debug, Clone, Default)]
pub struct Invocation {
    method_name: MethodName,
    parameter_types: Cow<'static, str>,
    arguments: Arc<Vec<Value>>,
    attachments: Attachments,
    attributes: Attributes,
    url: Option<Arc<Url>>,
}

impl Invocation {
    /// A call of `method_name` with the JVM descriptor `parameter_types`
    /// (e.g. `Ljava/lang/String;I`) and its arguments.
    ///
    /// Static names (a typed client's literals) and shared ones are kept without copying.
    pub fn new(
        method_name: impl Into<MethodName>,
        parameter_types: impl Into<Cow<'static, str>>,
        arguments: Vec<Value>,
    ) -> Self {
        Invocation {
            method_name: method_name.into(),
            parameter_types: parameter_types.into(),
            arguments: Arc::new(arguments),
            attachments: Attachments::new(),
            attributes: Attributes::new(),
            url: None,
        }
    }

    /// Adds an attachment, builder style.
    pub fn with_attachment(
        mut self,
        key: impl Into<Cow<'static, str>>,
        value: impl Into<Value>,
    ) -> Self {
        self.attachments.insert(key, value);
        self
    }

    /// The method name.
    pub fn method_name(&self) -> &str {
        &self.method_name
    }

    /// The method name, to keep past the call: a static or shared name is not copied.
    pub fn method(&self) -> &MethodName {
        &self.method_name
    }

    /// The JVM parameter descriptor, all parameters joined (`""` for none).
    pub fn parameter_types(&self) -> &str {
        &self.parameter_types
    }

    /// The arguments.
    pub fn arguments(&self) -> &[Value] {
        &self.arguments
    }

    /// Takes the arguments out, copying them only if a clone of this invocation shares them.
    pub fn take_arguments(&mut self) -> Vec<Value> {
        match Arc::get_mut(&mut self.arguments) {
            Some(args) => std::mem::take(args),
            None => Arc::unwrap_or_clone(std::mem::take(&mut self.arguments)),
        }
    }

    /// The attachments.
    pub fn attachments(&self) -> &Attachments {
        &self.attachments
    }

    /// The attachments, to change.
    pub fn attachments_mut(&mut self) -> &mut Attachments {
        &mut self.attachments
    }

    /// Adds an attribute (a local value, never sent), builder style.
    pub fn with_attribute<T: std::any::Any + Send + Sync>(mut self, value: T) -> Self {
        self.attributes.insert(value);
        self
    }

    /// The attributes: local values that travel with the call and are never sent.
    pub fn attributes(&self) -> &Attributes {
        &self.attributes
    }

    /// The attributes, to change.
    pub fn attributes_mut(&mut self) -> &mut Attributes {
        &mut self.attributes
    }

    /// The URL snapshot of the invoker that started this call, if one was taken.
    ///
    /// Code that needs the URL during a call uses this snapshot throughout instead of
    /// re-reading the invoker's URL after an `await` (DESIGN.md, lifecycle rule 2).
    pub fn url(&self) -> Option<&Arc<Url>> {
        self.url.as_ref()
    }

    /// Records the URL snapshot for this call (the first invoker on the path does it).
    pub fn set_url(&mut self, url: Arc<Url>) {
        self.url = Some(url);
    }
}

/// A successful call's result: the returned value (`Null` for `void`) and the response's
/// attachments.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RpcResult {
    /// The returned value.
    pub value: Value,
    /// Attachments sent back by the provider.
    pub attachments: Attachments,
}

impl RpcResult {
    /// A result holding `value` and no attachments.
    pub fn new(value: impl Into<Value>) -> Self {
        RpcResult {
            value: value.into(),
            attachments: Attachments::new(),
        }
    }
}
