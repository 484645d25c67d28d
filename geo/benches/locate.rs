//! Locate benchmarks: the R-tree index on 10,000, 100,000 and 1,000,000 cells of realistic shape
//! (see synthetic/), with random points. Also prints, per size, the time to build the index
//! from shapes and from stored GeoJSON text, and the heap it takes per cell.
//!
//! `cargo bench -p gridhub-geo --bench locate`; figures and the machine go in BENCHMARKS.md.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use gridhub_geo::{Boundary, GridIndex};

mod synthetic;

/// Counts live heap bytes, to measure what the index holds.
struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size, Ordering::Relaxed);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn locate(c: &mut Criterion) {
    let mut group = c.benchmark_group("locate");
    for side in [100u64, 316, 1000] {
        let cells = side * side;
        let texts: Vec<(String, String)> = synthetic::grid(side)
            .into_iter()
            .map(|(id, s)| (id, Boundary::from_shape(s).expect("valid").to_geojson().to_string()))
            .collect();

        // the heap the index holds: measured from before its input was made (the input is
        // consumed and freed by the build)
        let before = LIVE.load(Ordering::Relaxed);
        let shapes = synthetic::grid(side);
        let vertices: usize = shapes.iter().map(|(_, s)| s.0[0].exterior().0.len() - 1).sum();
        let started = Instant::now();
        let index = GridIndex::build(shapes);
        let build = started.elapsed();
        let held = LIVE.load(Ordering::Relaxed).saturating_sub(before);
        drop(index);

        let started = Instant::now();
        let index =
            GridIndex::build(texts.iter().filter_map(|(id, t)| Boundary::stored_shape(t).map(|s| (id.clone(), s))));
        let from_text = started.elapsed();
        drop(texts);
        println!(
            "{cells} cells ({:.1} vertices each): build {build:.2?}, from stored GeoJSON {from_text:.2?}, {} bytes per cell",
            vertices as f64 / cells as f64,
            held / cells as usize
        );

        let points = synthetic::points(side, 1 << 16, 1);
        let mut n = 0usize;
        group.bench_function(format!("{cells} cells"), |b| {
            b.iter(|| {
                let (lng, lat) = points[n & 0xFFFF];
                n += 1;
                black_box(index.locate(black_box(lng), black_box(lat)))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, locate);
criterion_main!(benches);
