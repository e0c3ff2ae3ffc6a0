//! Peak heap use while building a message with a 10 MiB attachment, measured with a
//! counting allocator (this test binary holds only this test). Target: at most 3× the
//! size of the message, the attachment input included.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let now = CURRENT.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(now, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let now = if new_size >= layout.size() {
            CURRENT.fetch_add(new_size - layout.size(), Ordering::Relaxed) + new_size
                - layout.size()
        } else {
            CURRENT.fetch_sub(layout.size() - new_size, Ordering::Relaxed)
                - (layout.size() - new_size)
        };
        // A moving realloc holds both blocks for a moment.
        PEAK.fetch_max(now + layout.size().min(new_size), Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

#[test]
fn peak_memory_for_a_10_mib_attachment_is_under_three_times_the_message() {
    let before = CURRENT.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let data: Vec<u8> = (0..10 * 1024 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let built = email365::message::MessageBuilder::new()
        .from("sender@example.com")
        .to("alice@example.org")
        .subject("A large file")
        .text("See the attachment.")
        .html("<p>See the attachment.</p>")
        .attachment(email365::message::Attachment::new(
            "big.bin",
            data.as_slice(),
        ))
        .message_id("big@example.com")
        .date_unix(1_795_867_200)
        .build()
        .unwrap();
    let peak = PEAK.load(Ordering::Relaxed) - before;
    let size = built.size();
    let ratio = peak as f64 / size as f64;
    println!(
        "message {size} bytes, peak heap {peak} bytes ({ratio:.2}× the message, input included)"
    );
    assert!(
        ratio <= 3.0,
        "peak {peak} is {ratio:.2}× the message size {size}"
    );
}
