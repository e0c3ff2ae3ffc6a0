//! Gives the shared library its SONAME (`libemail365.so.<major>`), so that programs
//! linked against `libemail365.so` load the installed, versioned file.

fn main() {
    let major = std::env::var("CARGO_PKG_VERSION_MAJOR").unwrap_or_else(|_| "0".into());
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libemail365.so.{major}");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
