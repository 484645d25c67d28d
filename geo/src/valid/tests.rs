use super::*;
use geo::{LineString, Polygon};

fn shape(rings: &[&[(f64, f64)]]) -> MultiPolygon<f64> {
    let ring = |r: &[(f64, f64)]| {
        let mut c: Vec<(f64, f64)> = r.to_vec();
        c.push(r[0]);
        LineString::from(c)
    };
    MultiPolygon::new(vec![Polygon::new(ring(rings[0]), rings[1..].iter().map(|r| ring(r)).collect())])
}

/// Every pair of edges, as the sweep should judge them: the reference it is checked against.
fn brute_force(rings: &[Ring]) -> bool {
    let mut edges = Vec::new();
    for (r, ring) in rings.iter().enumerate() {
        for (k, w) in ring.coords.windows(2).enumerate() {
            let (a, b) = if before(w[0], w[1]) == Ordering::Greater { (w[1], w[0]) } else { (w[0], w[1]) };
            edges.push(Edge { a, b, ring: r as u32, k: k as u32, id: edges.len() as u32 });
        }
    }
    for e in &edges {
        for f in &edges {
            if e.id >= f.id {
                continue;
            }
            let n = (rings[e.ring as usize].coords.len() - 1) as u32;
            let neighbours = e.ring == f.ring && (f.k == e.k + 1 || (e.k == 0 && f.k == n - 1));
            match meeting(e, f) {
                Meeting::Apart => {}
                Meeting::Touch if e.ring != f.ring || neighbours => {}
                _ => return true,
            }
        }
    }
    false
}

#[test]
fn simple_rings_pass_and_crossings_are_found() {
    assert!(problems(&shape(&[&[(0.0, 0.0), (2.0, 0.0), (2.0, 2.0), (0.0, 2.0)]]), true).is_empty());
    // a bow tie
    let p = problems(&shape(&[&[(0.0, 0.0), (2.0, 2.0), (2.0, 0.0), (0.0, 2.0)]]), true);
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].path, "coordinates[0]");
    assert!(p[0].message.contains("[1.000000, 1.000000]"), "{}", p[0].message);
    // a spike: out and back along the same line
    let p = problems(&shape(&[&[(0.0, 0.0), (2.0, 0.0), (3.0, 0.0), (2.0, 0.0), (2.0, 2.0), (0.0, 2.0)]]), true);
    assert_eq!(p.len(), 1, "{p:?}");
    // a ring touching itself at a corner it passes twice
    let p = problems(&shape(&[&[(0.0, 0.0), (4.0, 0.0), (4.0, 4.0), (2.0, 0.0), (0.0, 4.0)]]), true);
    assert_eq!(p.len(), 1, "{p:?}");
    // vertical edges, collinear corners
    assert!(
        problems(&shape(&[&[(0.0, 0.0), (1.0, 0.0), (2.0, 0.0), (2.0, 1.0), (2.0, 2.0), (0.0, 2.0)]]), true).is_empty()
    );
}

#[test]
fn holes_and_parts() {
    let outer: &[(f64, f64)] = &[(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0)];
    let hole: &[(f64, f64)] = &[(2.0, 2.0), (4.0, 2.0), (4.0, 4.0), (2.0, 4.0)];
    assert!(problems(&shape(&[outer, hole]), true).is_empty());
    // touching the outer ring at a corner is allowed
    assert!(problems(&shape(&[outer, &[(0.0, 0.0), (4.0, 2.0), (2.0, 4.0)]]), true).is_empty());
    let p = problems(&shape(&[outer, &[(12.0, 2.0), (14.0, 2.0), (14.0, 4.0)]]), true);
    assert_eq!((p[0].path.as_str(), p[0].message.as_str()), ("coordinates[1]", "hole lies outside its outer ring"));
    let p = problems(&shape(&[outer, hole, &[(2.5, 2.5), (3.0, 2.5), (3.0, 3.0)]]), true);
    assert_eq!(p[0].path, "coordinates[2]");
    let p = problems(&shape(&[outer, &[(8.0, 8.0), (12.0, 8.0), (12.0, 12.0)]]), true);
    assert!(p[0].message.contains("crosses the ring coordinates[0]"), "{p:?}");
    // a polygon inside another, and one on an island inside a hole
    let part = |r: &[(f64, f64)]| Polygon::new(LineString::from([r, &r[..1]].concat()), vec![]);
    let two = MultiPolygon::new(vec![shape(&[outer]).0.remove(0), part(&[(2.0, 2.0), (3.0, 2.0), (3.0, 3.0)])]);
    assert_eq!(problems(&two, false)[0].message, "polygon 1 lies inside polygon 0");
    let island =
        MultiPolygon::new(vec![shape(&[outer, hole]).0.remove(0), part(&[(2.5, 2.5), (3.0, 2.5), (3.0, 3.0)])]);
    assert!(problems(&island, false).is_empty());
    let same = MultiPolygon::new(vec![shape(&[outer]).0.remove(0), shape(&[outer]).0.remove(0)]);
    assert!(problems(&same, false)[0].message.contains("shares an edge"));
}

/// Rings of random corners, many of them crossing: the sweep agrees with every pair checked.
#[test]
fn the_sweep_agrees_with_checking_every_pair() {
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % 8) as f64 // a coarse lattice: many shared corners, collinear and vertical edges
    };
    let (mut crossing, mut simple) = (0, 0);
    for round in 0..30_000 {
        // one ring, or two (which may touch but not cross)
        let mut rings = Vec::new();
        for index in 0..1 + round % 2 {
            let n = 3 + (next() as usize % 5);
            let mut corners: Vec<Coord<f64>> = (0..n).map(|_| Coord { x: next(), y: next() }).collect();
            corners.dedup();
            if corners.len() < 3 || corners.first() == corners.last() {
                break;
            }
            corners.push(corners[0]);
            rings.push(Ring { polygon: 0, index, coords: corners });
        }
        if rings.len() < 1 + round % 2 {
            continue;
        }
        let found = first_meeting(&rings).is_some();
        let coords: Vec<&Vec<Coord<f64>>> = rings.iter().map(|r| &r.coords).collect();
        assert_eq!(found, brute_force(&rings), "{coords:?}");
        if found { crossing += 1 } else { simple += 1 }
    }
    assert!(crossing > 1000 && simple > 1000, "{crossing} crossing, {simple} simple");
}

/// A ring of 40,000 corners, and a comb whose teeth all overlap in x (the worst case of a
/// sweep that checks every pair overlapping in x): both valid. How fast: `benches/valid.rs`.
#[test]
fn large_rings_are_valid() {
    let n = 40_000;
    let circle: Vec<(f64, f64)> = (0..n)
        .map(|i| {
            let t = i as f64 / n as f64 * std::f64::consts::TAU;
            (115.9 + 0.01 * t.cos(), 28.68 + 0.01 * t.sin())
        })
        .collect();
    assert!(problems(&shape(&[&circle]), true).is_empty());
    // a comb: long teeth stacked one above another
    let mut comb = vec![(0.0, 0.0)];
    for i in 0..n / 4 {
        let y = i as f64 * 2.0;
        comb.extend([(100.0, y), (100.0, y + 1.0), (1.0, y + 1.0), (1.0, y + 2.0)]);
    }
    comb.push((0.0, (n / 4) as f64 * 2.0));
    assert!(problems(&shape(&[&comb]), true).is_empty());
}
