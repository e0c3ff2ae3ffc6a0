//! The main job until the sandbox exists: the core on sample input.
fn main() {
    println!("email365 {}", email365::VERSION);
}
