//! The `prost_build::ServiceGenerator` of IDL services: per service a server trait, a
//! provider adapter, a typed client and `DubboService`, per package the embedded
//! descriptors (the generated API is described in `oxidubbo::triple`).

use std::str::FromStr;

use proc_macro2::{Literal, TokenStream};
use prost_build::{Comments, Method, Service, ServiceGenerator};
use prost_types::FileDescriptorSet;
use quote::{format_ident, quote};

use crate::descriptors::Files;

/// Generates IDL services on `oxidubbo::triple`.
pub(crate) struct IdlServiceGenerator {
    files: Files,
    build_server: bool,
    build_client: bool,
}

impl IdlServiceGenerator {
    pub(crate) fn new(fds: &FileDescriptorSet, build_server: bool, build_client: bool) -> Self {
        IdlServiceGenerator {
            files: Files::new(fds),
            build_server,
            build_client,
        }
    }
}

impl ServiceGenerator for IdlServiceGenerator {
    fn generate(&mut self, service: Service, buf: &mut String) {
        let service = ServiceModel::new(&service);
        let mut code = TokenStream::new();
        if self.build_server {
            code.extend(service.server_trait());
            code.extend(service.provider());
        }
        if self.build_client {
            code.extend(service.client());
        }
        if self.build_server && self.build_client {
            code.extend(service.dubbo_service());
        }
        buf.push_str(&code.to_string());
        buf.push('\n');
    }

    fn finalize_package(&mut self, package: &str, buf: &mut String) {
        let encoded = Literal::byte_string(&self.files.encoded_for_package(package));
        let doc = format!(
            " The encoded `FileDescriptorSet` of package `{package}` and of the files it imports."
        );
        let code = quote! {
            #[doc = #doc]
            pub const FILE_DESCRIPTOR_SET: &[u8] = #encoded;

            /// [`FILE_DESCRIPTOR_SET`], decoded once when a message is first encoded or
            /// decoded as JSON.
            pub static DESCRIPTORS: ::oxidubbo::triple::Descriptors =
                ::oxidubbo::triple::Descriptors::new(FILE_DESCRIPTOR_SET);
        };
        buf.push_str(&code.to_string());
        buf.push('\n');
    }
}

/// `#[doc]` attributes of a proto element's comments (sanitized for rustdoc as prost-build
/// does its own), then of `line`, a paragraph of its own.
fn doc_attrs(comments: &Comments, line: &str) -> TokenStream {
    let mut text = String::new();
    comments.append_with_indent(0, &mut text);
    let mut lines: Vec<&str> = text
        .lines()
        .filter_map(|line| line.strip_prefix("///"))
        .collect();
    if !lines.is_empty() {
        lines.push("");
    }
    lines.push(line);
    lines.iter().map(|line| quote!(#[doc = #line])).collect()
}

/// A Rust path or identifier prost-build produced, as tokens (a `compile_error!` in the
/// generated code if it does not lex, which prost-build's names always do).
fn rust_path(path: &str) -> TokenStream {
    TokenStream::from_str(path).unwrap_or_else(|e| {
        let message = format!("oxidubbo-build: `{path}` is not a Rust path: {e}");
        quote!(::core::compile_error!(#message))
    })
}

/// One rpc.
struct MethodModel {
    ident: TokenStream,
    proto_name: String,
    comments: Comments,
    input: TokenStream,
    output: TokenStream,
    /// The full protobuf names of the input and output messages.
    names: TokenStream,
    client_streaming: bool,
    server_streaming: bool,
}

impl MethodModel {
    fn new(method: &Method) -> Self {
        let input = method.input_proto_type.trim_start_matches('.');
        let output = method.output_proto_type.trim_start_matches('.');
        MethodModel {
            ident: rust_path(&method.name),
            proto_name: method.proto_name.clone(),
            comments: method.comments.clone(),
            input: rust_path(&method.input_type),
            output: rust_path(&method.output_type),
            names: quote!([#input, #output]),
            client_streaming: method.client_streaming,
            server_streaming: method.server_streaming,
        }
    }

    /// The kind, as the runtime's function names say it.
    fn kind(&self) -> TokenStream {
        match (self.client_streaming, self.server_streaming) {
            (false, false) => quote!(unary),
            (false, true) => quote!(server_streaming),
            (true, false) => quote!(client_streaming),
            (true, true) => quote!(streaming),
        }
    }
}

/// One service.
struct ServiceModel {
    trait_name: proc_macro2::Ident,
    provider: proc_macro2::Ident,
    client: proc_macro2::Ident,
    interface: String,
    comments: Comments,
    methods: Vec<MethodModel>,
}

const RT: &str = "::oxidubbo::triple";

impl ServiceModel {
    fn new(service: &Service) -> Self {
        let interface = if service.package.is_empty() {
            service.proto_name.clone()
        } else {
            format!("{}.{}", service.package, service.proto_name)
        };
        ServiceModel {
            trait_name: format_ident!("{}", service.name),
            provider: format_ident!("{}Provider", service.name),
            client: format_ident!("{}Client", service.name),
            interface,
            comments: service.comments.clone(),
            methods: service.methods.iter().map(MethodModel::new).collect(),
        }
    }

    fn method_names(&self) -> Vec<&str> {
        self.methods.iter().map(|m| m.proto_name.as_str()).collect()
    }

    fn server_trait(&self) -> TokenStream {
        let rt = rust_path(RT);
        let p = quote!(#rt::__private);
        let name = &self.trait_name;
        let docs = doc_attrs(
            &self.comments,
            &format!(
                " The server side of `{}`: implement it, and serve it with [`{}`] (or export \
                 `dyn {name}` with the bootstrap).",
                self.interface, self.provider
            ),
        );
        let methods = self.methods.iter().map(|m| {
            let ident = &m.ident;
            let docs = doc_attrs(&m.comments, &format!(" The rpc `{}`.", m.proto_name));
            let input = &m.input;
            let output = &m.output;
            let request = if m.client_streaming {
                quote!(#rt::Request<#rt::Streaming<#input>>)
            } else {
                quote!(#rt::Request<#input>)
            };
            let response = if m.server_streaming {
                quote!(#rt::Response<#rt::BoxStream<#output>>)
            } else {
                quote!(#rt::Response<#output>)
            };
            quote! {
                #docs
                async fn #ident(&self, request: #request)
                    -> ::core::result::Result<#response, #rt::Status>;
            }
        });
        quote! {
            #docs
            #[#p::async_trait]
            pub trait #name: ::core::marker::Send + ::core::marker::Sync + 'static {
                #(#methods)*
            }
        }
    }

    fn provider(&self) -> TokenStream {
        let rt = rust_path(RT);
        let p = quote!(#rt::__private);
        let name = &self.trait_name;
        let provider = &self.provider;
        let interface = &self.interface;
        let method_names = self.method_names();
        let doc = format!(
            " Serves `{interface}` calls with a `T: {name}`: the [`Service`](::oxidubbo::Service) \
             to export, in-process or over Triple."
        );
        let arms = self.methods.iter().map(|m| {
            let proto_name = &m.proto_name;
            let ident = &m.ident;
            let kind = m.kind();
            let names = &m.names;
            quote! {
                #proto_name => {
                    #p::#kind(invocation, &DESCRIPTORS, #names, |request| service.#ident(request)).await
                }
            }
        });
        let body = if self.methods.is_empty() {
            quote! {
                ::core::result::Result::Err(#p::RpcError::NotFound(::std::format!(
                    "method {} of {}", invocation.method_name(), #interface
                )))
            }
        } else {
            quote! {
                let service = &*self.0;
                let (invocation, generic) = #p::generic_protobuf_json(invocation)?;
                let outcome = match #p::resolve_method(&invocation, #interface, &[#(#method_names),*])? {
                    #(#arms)*
                    other => ::core::result::Result::Err(#p::RpcError::NotFound(
                        ::std::format!("method {} of {}", other, #interface),
                    )),
                };
                #p::generic_protobuf_json_result(generic, outcome)
            }
        };
        quote! {
            #[doc = #doc]
            pub struct #provider<T: ?::core::marker::Sized>(pub ::std::sync::Arc<T>);

            impl<T: ?::core::marker::Sized> #provider<T> {
                /// Serves calls with `service`.
                pub fn new(service: ::std::sync::Arc<T>) -> Self {
                    #provider(service)
                }
            }

            impl<T: ?::core::marker::Sized> ::core::clone::Clone for #provider<T> {
                fn clone(&self) -> Self {
                    #provider(::std::sync::Arc::clone(&self.0))
                }
            }

            #[#p::async_trait]
            impl<T: #name + ?::core::marker::Sized> #p::Service for #provider<T> {
                async fn call(
                    &self,
                    invocation: #p::Invocation,
                ) -> ::core::result::Result<#p::RpcResult, #p::RpcError> {
                    #body
                }
            }
        }
    }

    fn client(&self) -> TokenStream {
        let rt = rust_path(RT);
        let p = quote!(#rt::__private);
        let client = &self.client;
        let doc = format!(
            " A client of `{}` over any invoker (a bootstrap reference, a cluster, an injvm or a \
             Triple invoker).",
            self.interface
        );
        let methods = self.methods.iter().map(|m| {
            let ident = &m.ident;
            let docs = doc_attrs(&m.comments, &format!(" Calls the rpc `{}`.", m.proto_name));
            let input = &m.input;
            let output = &m.output;
            let proto_name = &m.proto_name;
            let names = &m.names;
            let kind = m.kind();
            let request = if m.client_streaming {
                quote!(impl #rt::IntoStreamingRequest<Message = #input>)
            } else {
                quote!(impl #rt::IntoRequest<#input>)
            };
            let into = if m.client_streaming {
                quote!(into_streaming_request)
            } else {
                quote!(into_request)
            };
            let response = if m.server_streaming {
                quote!(#rt::Response<#rt::Streaming<#output>>)
            } else {
                quote!(#rt::Response<#output>)
            };
            quote! {
                #docs
                pub async fn #ident(&self, request: #request)
                    -> ::core::result::Result<#response, #rt::Status>
                {
                    self.inner.#kind(#proto_name, request.#into(), #names).await
                }
            }
        });
        quote! {
            #[doc = #doc]
            #[derive(::core::clone::Clone, ::core::fmt::Debug)]
            pub struct #client {
                inner: #p::IdlClient,
            }

            impl #client {
                /// A client calling through `invoker`, in protobuf binary.
                pub fn new(invoker: ::std::sync::Arc<dyn #p::Invoker>) -> Self {
                    #client { inner: #p::IdlClient::new(invoker, &DESCRIPTORS) }
                }

                /// The same client sending (and asking for) messages in `format`: the
                /// protobuf JSON mapping with
                /// [`PayloadFormat::Json`](::oxidubbo::triple::PayloadFormat::Json).
                pub fn with_format(self, format: #rt::PayloadFormat) -> Self {
                    #client { inner: self.inner.with_format(format) }
                }

                /// The invoker the calls go through.
                pub fn invoker(&self) -> &::std::sync::Arc<dyn #p::Invoker> {
                    self.inner.invoker()
                }

                #(#methods)*
            }
        }
    }

    fn dubbo_service(&self) -> TokenStream {
        let rt = rust_path(RT);
        let p = quote!(#rt::__private);
        let name = &self.trait_name;
        let provider = &self.provider;
        let client = &self.client;
        let interface = &self.interface;
        let method_names = self.method_names();
        quote! {
            impl #p::DubboService for dyn #name {
                const INTERFACE: &'static str = #interface;
                const VERSION: ::core::option::Option<&'static str> = ::core::option::Option::None;
                const GROUP: ::core::option::Option<&'static str> = ::core::option::Option::None;
                const METHODS: &'static [&'static str] = &[#(#method_names),*];
                const SERIALIZATION: ::core::option::Option<&'static str> =
                    ::core::option::Option::Some(#p::PROTOBUF);
                type Client = #client;

                fn client(invoker: ::std::sync::Arc<dyn #p::Invoker>) -> #client {
                    #client::new(invoker)
                }

                fn provider(service: ::std::sync::Arc<Self>) -> ::std::sync::Arc<dyn #p::Service> {
                    ::std::sync::Arc::new(#provider(service))
                }
            }
        }
    }
}
