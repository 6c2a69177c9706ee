//! `#[oxidubbo::service]`: turns an async trait into a Dubbo service.
//!
//! Use it through the `oxidubbo` facade, which documents it with examples. For a trait
//! `Greeter` it generates, next to the trait (made object-safe with `async-trait`):
//!
//! - `GreeterProvider<T>`: the provider adapter, an `oxidubbo::Service` that turns an
//!   `Invocation` into a typed call of `T: Greeter` and its result back into a `Value`;
//! - `GreeterClient`: a consumer implementing `Greeter` over any `Arc<dyn Invoker>`;
//! - `impl oxidubbo::DubboService for dyn Greeter`: the interface name, version, group,
//!   method table, and how to make the client and the provider adapter.
//!
//! Methods must be `async fn name(&self, arg: T, …) -> Result<R, RpcError>` with owned
//! argument types; Rust names map to Java camelCase (Go's exported PascalCase with
//! `method_names = "go"`) unless renamed with `#[oxidubbo(name = "…")]`, and an argument's
//! Java type can be set with `#[oxidubbo(java_type = "java.lang.Object")]`. As dubbo-go's
//! providers, the provider adapter also answers each name with its first letter's case
//! swapped (`SayHello` for `sayHello` and back).

use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as TokenStream2};
use quote::{format_ident, quote};
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{
    Attribute, Error, FnArg, GenericArgument, ItemTrait, LitStr, Meta, Pat, PathArguments,
    ReturnType, Token, TraitItem, TraitItemFn, Type,
};

/// Arguments of `#[service(...)]`.
struct ServiceArgs {
    interface: LitStr,
    version: Option<LitStr>,
    group: Option<LitStr>,
    /// How unrenamed methods are named on the wire: Java's `camelCase` (default) or Go's
    /// exported `PascalCase` (`method_names = "go"`).
    go_names: bool,
}

impl Parse for ServiceArgs {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let metas = Punctuated::<Meta, Token![,]>::parse_terminated(input)?;
        let (mut interface, mut version, mut group) = (None, None, None);
        let mut go_names = false;
        for meta in metas {
            let Meta::NameValue(nv) = &meta else {
                return Err(Error::new(meta.span(), "expected `key = \"value\"`"));
            };
            let value = match &nv.value {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) => s.clone(),
                other => return Err(Error::new(other.span(), "expected a string literal")),
            };
            match nv.path.get_ident().map(ToString::to_string).as_deref() {
                Some("interface") => interface = Some(value),
                Some("version") => version = Some(value),
                Some("group") => group = Some(value),
                Some("method_names") => match value.value().as_str() {
                    "java" => go_names = false,
                    "go" => go_names = true,
                    _ => {
                        return Err(Error::new(
                            value.span(),
                            "expected `method_names = \"java\"` (camelCase, the default) or `\"go\"` (PascalCase)",
                        ));
                    }
                },
                _ => {
                    return Err(Error::new(
                        nv.path.span(),
                        "unknown argument: expected `interface`, `version`, `group` or `method_names`",
                    ));
                }
            }
        }
        let interface = interface.ok_or_else(|| {
            Error::new(
                Span::call_site(),
                "missing `interface = \"...\"`: the Java interface name of the service",
            )
        })?;
        Ok(ServiceArgs {
            interface,
            version,
            group,
            go_names,
        })
    }
}

/// The `#[oxidubbo(...)]` options on a method or argument.
#[derive(Default)]
struct ItemOptions {
    name: Option<LitStr>,
    java_type: Option<LitStr>,
}

fn take_options(attrs: &mut Vec<Attribute>) -> syn::Result<ItemOptions> {
    let mut opts = ItemOptions::default();
    let mut err = None;
    attrs.retain(|attr| {
        if !attr.path().is_ident("oxidubbo") {
            return true;
        }
        let r = attr.parse_nested_meta(|meta| {
            let value: LitStr = meta.value()?.parse()?;
            if meta.path.is_ident("name") {
                opts.name = Some(value);
            } else if meta.path.is_ident("java_type") {
                opts.java_type = Some(value);
            } else {
                return Err(meta.error("unknown option: expected `name` or `java_type`"));
            }
            Ok(())
        });
        if let Err(e) = r {
            err = Some(e);
        }
        false
    });
    match err {
        Some(e) => Err(e),
        None => Ok(opts),
    }
}

/// `snake_case` to Go's exported `PascalCase`: Java's `camelCase` with its first letter
/// upper-cased.
fn pascal_case(name: &str) -> String {
    let camel = camel_case(name);
    let mut chars = camel.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => camel,
    }
}

/// `name` with the case of its first letter swapped (`sayHello` ↔ `SayHello`): the other
/// name a method answers to, as dubbo-go's providers do for Java and Go callers.
fn swap_first_case(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) if first.is_uppercase() => first.to_lowercase().chain(chars).collect(),
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `snake_case` to Java's `camelCase`.
fn camel_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.trim_start_matches('_').chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// The `T` of `Result<T, E>`, or an error explaining the required shape.
fn result_ok_type(ret: &ReturnType, span: Span) -> syn::Result<Type> {
    const MSG: &str = "oxidubbo service methods must return `Result<T, RpcError>`";
    let ReturnType::Type(_, ty) = ret else {
        return Err(Error::new(span, MSG));
    };
    let Type::Path(tp) = ty.as_ref() else {
        return Err(Error::new(ty.span(), MSG));
    };
    let Some(last) = tp.path.segments.last() else {
        return Err(Error::new(ty.span(), MSG));
    };
    if last.ident != "Result" {
        return Err(Error::new(ty.span(), MSG));
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return Err(Error::new(ty.span(), MSG));
    };
    match args.args.first() {
        Some(GenericArgument::Type(t)) if args.args.len() == 2 => Ok(t.clone()),
        _ => Err(Error::new(ty.span(), MSG)),
    }
}

struct Method {
    ident: syn::Ident,
    java_name: String,
    arg_idents: Vec<syn::Ident>,
    arg_types: Vec<Type>,
    java_types: Vec<Option<LitStr>>,
    ok_type: Type,
}

fn analyse(item: &mut TraitItemFn, go_names: bool) -> syn::Result<Method> {
    let opts = take_options(&mut item.attrs)?;
    let sig = &mut item.sig;
    if sig.asyncness.is_none() {
        return Err(Error::new(
            sig.fn_token.span(),
            "oxidubbo service methods must be `async fn`",
        ));
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        return Err(Error::new(
            sig.generics.span(),
            "oxidubbo service methods cannot be generic",
        ));
    }
    let ok_type = result_ok_type(&sig.output, sig.ident.span())?;
    let mut inputs = sig.inputs.iter_mut();
    match inputs.next() {
        Some(FnArg::Receiver(r)) if r.reference.is_some() && r.mutability.is_none() => {}
        _ => {
            return Err(Error::new(
                sig.ident.span(),
                "oxidubbo service methods must take `&self`",
            ));
        }
    }
    let (mut arg_idents, mut arg_types, mut java_types) = (Vec::new(), Vec::new(), Vec::new());
    for (i, input) in inputs.enumerate() {
        let FnArg::Typed(pt) = input else {
            return Err(Error::new(
                input.span(),
                "only the first argument may be `self`",
            ));
        };
        let arg_opts = take_options(&mut pt.attrs)?;
        if let Type::Reference(r) = pt.ty.as_ref() {
            return Err(Error::new(
                r.span(),
                "arguments of oxidubbo service methods must be owned types (no references)",
            ));
        }
        if let Type::ImplTrait(t) = pt.ty.as_ref() {
            return Err(Error::new(
                t.span(),
                "arguments of oxidubbo service methods cannot be `impl Trait`",
            ));
        }
        let ident = match pt.pat.as_ref() {
            Pat::Ident(p) => p.ident.clone(),
            _ => format_ident!("arg{}", i),
        };
        arg_idents.push(ident);
        arg_types.push((*pt.ty).clone());
        java_types.push(arg_opts.java_type);
    }
    let default_name = if go_names { pascal_case } else { camel_case };
    let java_name = opts
        .name
        .map_or_else(|| default_name(&sig.ident.to_string()), |n| n.value());
    Ok(Method {
        ident: sig.ident.clone(),
        java_name,
        arg_idents,
        arg_types,
        java_types,
        ok_type,
    })
}

/// Generates a typed Dubbo service from an async trait; see the `oxidubbo` facade.
#[proc_macro_attribute]
pub fn service(attr: TokenStream, item: TokenStream) -> TokenStream {
    let args = syn::parse_macro_input!(attr as ServiceArgs);
    let item = syn::parse_macro_input!(item as ItemTrait);
    match expand(args, item) {
        Ok(ts) => ts.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

fn expand(args: ServiceArgs, mut item: ItemTrait) -> syn::Result<TokenStream2> {
    if !item.generics.params.is_empty() {
        return Err(Error::new(
            item.generics.span(),
            "oxidubbo service traits cannot be generic",
        ));
    }
    let mut methods = Vec::new();
    for ti in &mut item.items {
        match ti {
            TraitItem::Fn(f) => {
                if f.default.is_some() {
                    return Err(Error::new(
                        f.sig.ident.span(),
                        "oxidubbo service methods cannot have a default body",
                    ));
                }
                methods.push(analyse(f, args.go_names)?);
            }
            other => {
                return Err(Error::new(
                    other.span(),
                    "oxidubbo service traits may only contain async methods",
                ));
            }
        }
    }
    // Services are shared across tasks: make the trait `Send + Sync + 'static`.
    item.supertraits
        .push(syn::parse_quote!(::core::marker::Send));
    item.supertraits
        .push(syn::parse_quote!(::core::marker::Sync));
    item.supertraits.push(syn::parse_quote!('static));
    if item.colon_token.is_none() {
        item.colon_token = Some(Default::default());
    }
    let mut seen = std::collections::HashSet::new();
    for m in &methods {
        if !seen.insert(m.java_name.clone()) {
            return Err(Error::new(
                m.ident.span(),
                format!("two methods map to the Java name `{}`", m.java_name),
            ));
        }
    }

    let vis = &item.vis;
    let name = &item.ident;
    let provider = format_ident!("{}Provider", name);
    let client = format_ident!("{}Client", name);
    let krate = quote!(::oxidubbo::__private);
    let interface = &args.interface;
    let version = args.version.as_ref().map_or(
        quote!(::core::option::Option::None),
        |v| quote!(::core::option::Option::Some(#v)),
    );
    let group = args.group.as_ref().map_or(
        quote!(::core::option::Option::None),
        |g| quote!(::core::option::Option::Some(#g)),
    );
    let java_names: Vec<&String> = methods.iter().map(|m| &m.java_name).collect();

    // The JVM descriptor of each method, computed once.
    let descriptors: Vec<TokenStream2> = methods
        .iter()
        .map(|m| {
            let parts = m.arg_types.iter().zip(&m.java_types).map(|(ty, jt)| match jt {
                Some(class) => quote! {
                    #krate::class_name_to_descriptor(#class).unwrap_or_else(|_| ::std::string::String::from("Ljava/lang/Object;"))
                },
                None => quote! { <#ty as #krate::JavaType>::descriptor().into_owned() },
            });
            quote! {{
                static DESC: #krate::OnceLock<::std::string::String> = #krate::OnceLock::new();
                DESC.get_or_init(|| {
                    let mut d = ::std::string::String::new();
                    #( d.push_str(&#parts); )*
                    d
                }).as_str()
            }}
        })
        .collect();

    let provider_arms = methods.iter().map(|m| {
        let ident = &m.ident;
        let java = &m.java_name;
        // The name with its first letter's case swapped answers too (`SayHello` for
        // `sayHello` and back), unless another method has it.
        let alias = Some(swap_first_case(java))
            .filter(|a| a != java && !java_names.contains(&a))
            .into_iter();
        let n = m.arg_idents.len();
        let idx = 0..n;
        let arg_idents = &m.arg_idents;
        let arg_types = &m.arg_types;
        let check_count = quote! {
            let __args = __inv.take_arguments();
            if __args.len() != #n {
                return ::core::result::Result::Err(#krate::RpcError::Codec(::std::format!(
                    "{}.{} takes {} argument(s), got {}", #interface, #java, #n, __args.len()
                )));
            }
        };
        // The arguments share one reference table (a later one may be a reference to an
        // earlier one, as Java writes them); they are dropped before the call.
        let read_args = if n == 0 {
            check_count
        } else {
            quote! {
                let (#(#arg_idents,)*): (#(#arg_types,)*) = {
                    #check_count
                    let __values = #krate::Values::new(&__args);
                    (#(
                        __values.deserialize::<#arg_types>(#idx)
                            .map_err(|e| #krate::RpcError::Codec(::std::format!(
                                "argument {} of {}.{}: {}", #idx, #interface, #java, e
                            )))?,
                    )*)
                };
            }
        };
        quote! {
            #java #( | #alias )* => {
                #read_args
                let __out = self.0.#ident(#(#arg_idents),*).await?;
                let __value = #krate::to_value(&__out)
                    .map_err(|e| #krate::RpcError::Codec(::std::format!("result of {}.{}: {}", #interface, #java, e)))?;
                ::core::result::Result::Ok(#krate::RpcResult::new(__value))
            }
        }
    });

    let client_methods = methods.iter().zip(&descriptors).map(|(m, desc)| {
        let ident = &m.ident;
        let java = &m.java_name;
        let arg_idents = &m.arg_idents;
        let arg_types = &m.arg_types;
        let ok = &m.ok_type;
        quote! {
            async fn #ident(&self, #( #arg_idents: #arg_types ),*) -> ::core::result::Result<#ok, #krate::RpcError> {
                let __args = ::std::vec![#(
                    #krate::to_value(&#arg_idents).map_err(|e| #krate::RpcError::Codec(::std::format!(
                        "argument `{}` of {}.{}: {}", ::core::stringify!(#arg_idents), #interface, #java, e
                    )))?
                ),*];
                let mut __inv = #krate::Invocation::new(#java, #desc, __args);
                #krate::attach_context(&mut __inv);
                let __result = #krate::record_context(self.invoker.invoke(__inv).await)?;
                #krate::from_value(__result.value)
                    .map_err(|e| #krate::RpcError::Codec(::std::format!("result of {}.{}: {}", #interface, #java, e)))
            }
        }
    });

    let provider_doc = format!(
        "The provider adapter of [`{name}`]: serves `{}` calls with a `T: {name}`.",
        interface.value()
    );
    let client_doc = format!(
        "A consumer of `{}` implementing [`{name}`] over any invoker.",
        interface.value()
    );

    Ok(quote! {
        #[#krate::async_trait]
        #item

        impl #krate::DubboService for dyn #name {
            const INTERFACE: &'static str = #interface;
            const VERSION: ::core::option::Option<&'static str> = #version;
            const GROUP: ::core::option::Option<&'static str> = #group;
            const METHODS: &'static [&'static str] = &[#(#java_names),*];
            type Client = #client;

            fn client(invoker: ::std::sync::Arc<dyn #krate::Invoker>) -> #client {
                #client::new(invoker)
            }

            fn provider(service: ::std::sync::Arc<Self>) -> ::std::sync::Arc<dyn #krate::Service> {
                ::std::sync::Arc::new(#provider(service))
            }
        }

        #[doc = #provider_doc]
        #vis struct #provider<T: ?Sized>(pub ::std::sync::Arc<T>);

        impl<T: ?Sized> #provider<T> {
            /// Wraps a service implementation.
            pub fn new(service: ::std::sync::Arc<T>) -> Self {
                #provider(service)
            }
        }

        #[#krate::async_trait]
        impl<T: #name + ::core::marker::Send + ::core::marker::Sync + 'static + ?Sized> #krate::Service for #provider<T> {
            async fn call(&self, mut __inv: #krate::Invocation) -> ::core::result::Result<#krate::RpcResult, #krate::RpcError> {
                // The request's attachments move to the call's `RpcContext`, which adds the
                // response attachments the method sets to its result.
                let __request = ::core::mem::take(__inv.attachments_mut());
                #krate::serve_context(__request, async move {
                    match __inv.method_name() {
                        #( #provider_arms )*
                        __other => ::core::result::Result::Err(#krate::RpcError::NotFound(::std::format!(
                            "method {} of {}", __other, #interface
                        ))),
                    }
                }).await
            }
        }

        #[doc = #client_doc]
        #[derive(Clone)]
        #vis struct #client {
            invoker: ::std::sync::Arc<dyn #krate::Invoker>,
        }

        impl #client {
            /// A client calling through `invoker` (a protocol, cluster or filtered invoker).
            pub fn new(invoker: ::std::sync::Arc<dyn #krate::Invoker>) -> Self {
                #client { invoker }
            }

            /// The invoker this client calls through.
            pub fn invoker(&self) -> &::std::sync::Arc<dyn #krate::Invoker> {
                &self.invoker
            }
        }

        #[#krate::async_trait]
        impl #name for #client {
            #( #client_methods )*
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand_str(attr: &str, item: &str) -> String {
        let args: ServiceArgs = syn::parse_str(attr).unwrap();
        let item: ItemTrait = syn::parse_str(item).unwrap();
        expand(args, item).unwrap().to_string()
    }

    #[test]
    fn go_names_are_pascal_case_and_swap_with_java_names() {
        assert_eq!(pascal_case("say_hello"), "SayHello");
        assert_eq!(pascal_case("get_user_by_id"), "GetUserById");
        assert_eq!(swap_first_case("sayHello"), "SayHello");
        assert_eq!(swap_first_case("SayHello"), "sayHello");
        assert_eq!(swap_first_case("$echo"), "$echo");
        assert_eq!(swap_first_case(""), "");
    }

    #[test]
    fn camel_case_follows_java() {
        assert_eq!(camel_case("say_hello"), "sayHello");
        assert_eq!(camel_case("get_user_by_id"), "getUserById");
        assert_eq!(camel_case("echo"), "echo");
        assert_eq!(camel_case("_private_thing"), "privateThing");
    }

    #[test]
    fn expansion_has_the_provider_client_and_method_table() {
        let out = expand_str(
            r#"interface = "com.example.Greeter", version = "1.0.0", group = "g""#,
            "pub trait Greeter { async fn say_hello(&self, name: String) -> Result<String, RpcError>; \
             #[oxidubbo(name = \"plus\")] async fn add(&self, a: i32, b: i32) -> Result<i32, RpcError>; }",
        );
        for needle in [
            "pub struct GreeterProvider",
            "pub struct GreeterClient",
            "impl :: oxidubbo :: __private :: DubboService for dyn Greeter",
            "const INTERFACE : & 'static str = \"com.example.Greeter\"",
            "Some (\"1.0.0\")",
            "Some (\"g\")",
            "& [\"sayHello\" , \"plus\"]",
            "\"sayHello\" | \"SayHello\" =>",
            "\"plus\" | \"Plus\" =>",
            "JavaType > :: descriptor ()",
        ] {
            assert!(out.contains(needle), "expansion lacks `{needle}`:\n{out}");
        }
        // The user's `#[oxidubbo(...)]` attributes are consumed, not left for rustc.
        assert!(!out.contains("# [oxidubbo"), "{out}");
    }

    #[test]
    fn java_type_overrides_the_descriptor() {
        let out = expand_str(
            r#"interface = "x.Y""#,
            "trait Y { async fn echo(&self, #[oxidubbo(java_type = \"java.lang.Object\")] v: Value) -> Result<Value, RpcError>; }",
        );
        assert!(
            out.contains("class_name_to_descriptor (\"java.lang.Object\")"),
            "{out}"
        );
    }
}
