//! Runs progenitor in-process with the settings `klarna-payments/build.rs` derives
//! (the shared `codegen.rs`), turning its panics into readable errors.

use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Mutex};

use serde_json::Value;

#[path = "../../klarna-payments/codegen.rs"]
pub mod codegen;

/// The generated client as formatted Rust source, or why it could not be generated.
pub fn render(spec: &Value) -> Result<String, String> {
    let openapi: openapiv3::OpenAPI = serde_json::from_value(spec.clone())
        .map_err(|e| format!("progenitor cannot read the document: {e}"))?;
    let enums = codegen::extensible_enums(spec)?;
    let interface = match codegen::INTERFACE {
        "Positional" => progenitor::InterfaceStyle::Positional,
        "Builder" => progenitor::InterfaceStyle::Builder,
        other => return Err(format!("unknown progenitor interface `{other}`")),
    };
    let mut settings = progenitor::GenerationSettings::default();
    settings
        .with_interface(interface)
        .with_tag(progenitor::TagStyle::Merged)
        .with_hooks(progenitor::HooksMode::Expected)
        .with_inner_type(codegen::INNER_TYPE.parse().map_err(|_| "bad inner type")?);
    for derive in codegen::DERIVES {
        settings.with_derive(*derive);
    }
    for schema in codegen::redacted_strings(spec)? {
        let schema: schemars::schema::SchemaObject =
            serde_json::from_value(schema).map_err(|e| format!("bad conversion schema: {e}"))?;
        settings.with_conversion(schema, codegen::REDACTED_TYPE, std::iter::empty());
    }
    for e in &enums {
        settings.with_replacement(
            &e.rust_name,
            format!("{}::{}", codegen::EXTENSIBLE_MODULE, e.rust_name),
            std::iter::empty(),
        );
    }

    let tokens = catch_panic(|| progenitor::Generator::new(&settings).generate_tokens(&openapi))?
        .map_err(|e| format!("progenitor refused the spec: {e}"))?;
    let file: syn::File =
        syn::parse2(tokens).map_err(|e| format!("generated code does not parse: {e}"))?;
    Ok(prettyplease::unparse(&file))
}

/// Runs `f`, returning its panic message instead of unwinding (and without printing it).
fn catch_panic<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    let message = Arc::new(Mutex::new(None::<String>));
    let sink = Arc::clone(&message);
    let previous = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        let text = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_string());
        let location = info
            .location()
            .map(|l| format!(" ({}:{})", l.file(), l.line()))
            .unwrap_or_default();
        if let Ok(mut slot) = sink.lock() {
            *slot = Some(format!("{text}{location}"));
        }
    }));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    panic::set_hook(previous);
    result.map_err(|_| {
        let captured = message.lock().ok().and_then(|mut m| m.take());
        format!(
            "progenitor panicked: {}",
            captured.unwrap_or_else(|| "no message".into())
        )
    })
}
