//! What a contender costs besides time: heap allocations (a counting global allocator),
//! CPU time of the client side, and the process's peak resident memory.
//!
//! The counters are per thread (one padded slot each, written only by its thread), so
//! counting adds no shared-cache-line traffic to the throughput being measured. The
//! canned server's thread opts out ([`exclude_this_thread`]) and its CPU time is
//! subtracted, so the figures are the client's own.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};

/// The global allocator of the runner: `System`, counted.
pub struct Counting;

const SLOTS: usize = 64;

#[repr(align(128))]
struct Slot {
    allocations: AtomicU64,
    bytes: AtomicU64,
}

#[allow(clippy::declare_interior_mutable_const)]
const EMPTY: Slot = Slot {
    allocations: AtomicU64::new(0),
    bytes: AtomicU64::new(0),
};
static COUNTS: [Slot; SLOTS] = [EMPTY; SLOTS];
static NEXT_SLOT: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// This thread's slot (`usize::MAX` until its first allocation; `SLOTS` when excluded).
    static SLOT: Cell<usize> = const { Cell::new(usize::MAX) };
}

fn count(size: usize) {
    let slot = SLOT.try_with(|slot| {
        let mut index = slot.get();
        if index == usize::MAX {
            index = NEXT_SLOT.fetch_add(1, Relaxed).min(SLOTS - 1);
            slot.set(index);
        }
        index
    });
    if let Ok(index) = slot
        && index < SLOTS
    {
        let slot = &COUNTS[index];
        slot.allocations.fetch_add(1, Relaxed);
        slot.bytes.fetch_add(size as u64, Relaxed);
    }
}

// SAFETY: every call is forwarded to `System` unchanged; counting touches no memory
// the allocator hands out and never allocates itself.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size);
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

/// Stops counting the allocations of the calling thread (the canned server's).
pub fn exclude_this_thread() {
    SLOT.with(|slot| slot.set(SLOTS));
}

/// Allocations (a `realloc` counts as one) and bytes requested so far, all counted
/// threads together.
pub fn allocations() -> (u64, u64) {
    COUNTS.iter().fold((0, 0), |(a, b), slot| {
        (
            a + slot.allocations.load(Relaxed),
            b + slot.bytes.load(Relaxed),
        )
    })
}

fn clock(id: libc::clockid_t) -> f64 {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid timespec to write to.
    unsafe { libc::clock_gettime(id, &mut now) };
    now.tv_sec as f64 * 1e6 + now.tv_nsec as f64 / 1e3
}

/// The CPU clock of the calling thread, for [`client_cpu_us`] to subtract.
pub fn this_thread_clock() -> libc::clockid_t {
    let mut id: libc::clockid_t = 0;
    // SAFETY: `id` is a valid clockid_t to write to; pthread_self is always valid.
    unsafe { libc::pthread_getcpuclockid(libc::pthread_self(), &mut id) };
    id
}

/// CPU microseconds used by the whole process minus those of the thread whose clock
/// is `excluded` (the canned server).
pub fn client_cpu_us(excluded: libc::clockid_t) -> f64 {
    clock(libc::CLOCK_PROCESS_CPUTIME_ID) - clock(excluded)
}

/// The peak resident set size of this process so far (`VmHWM`), in KiB.
pub fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kib| kib.parse().ok())
        })
        .unwrap_or(0)
}
