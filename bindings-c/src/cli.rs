//! `e365_command_run`: the core's `send` and `status` commands (`email365::cli`) for the
//! `e365-send` and `e365-status` programs (`bindings-c/tools/`). Same flags, JSON lines and
//! exit codes as every other binding's commands.

use std::ffi::{c_char, c_int, CStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Runs a command: `argv[0]` is `"send"` or `"status"`, the rest its flags (the program
/// name is not included). Prints the command's JSON lines on standard output and returns
/// its exit code: 0 done, 1 failed, 2 bad arguments (also for a NULL `argv` or entry).
///
/// Not meant for library use inside another program: it writes to standard output.
///
/// # Safety
/// `argv` is NULL or points at `argc` pointers, each NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn e365_command_run(argc: c_int, argv: *const *const c_char) -> c_int {
    let args: Option<Vec<OsString>> = (|| {
        if argv.is_null() || argc < 0 {
            return None;
        }
        (0..argc as usize)
            .map(|i| {
                // SAFETY: the caller gives `argc` valid pointers.
                let p = unsafe { *argv.add(i) };
                (!p.is_null()).then(|| {
                    // SAFETY: each non-NULL entry is NUL-terminated.
                    let bytes = unsafe { CStr::from_ptr(p) }.to_bytes();
                    std::ffi::OsStr::from_bytes(bytes).to_os_string()
                })
            })
            .collect()
    })();
    let Some(args) = args else {
        return c_int::from(email365::cli::EXIT_USAGE);
    };
    catch_unwind(AssertUnwindSafe(|| {
        let mut out = std::io::stdout().lock();
        email365::cli::run(args, &mut out)
    }))
    .map_or(c_int::from(email365::cli::EXIT_FAILED), c_int::from)
}
