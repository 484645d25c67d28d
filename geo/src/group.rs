//! Grouping adjacent pieces into contiguous groups of about equal weight: a community's unit
//! grids (单元网格) into governance grids (网格) of about N households each.
//!
//! Two pieces are adjacent when they share a stretch of edge (a shared corner is not enough).
//! The groups are grown one at a time from the edge of what is left — a corner piece, the one
//! with the fewest neighbours still free — taking the free neighbour that touches the group most,
//! until the group holds its share; then pieces on the borders between groups move across while
//! that brings a group nearer its share and keeps both groups in one piece.

use geo::{BoundingRect, Centroid, MultiPolygon, Rect};

/// Which pieces share a stretch of edge with which (by index, each list ascending).
pub fn adjacency(shapes: &[MultiPolygon<f64>]) -> Vec<Vec<usize>> {
    let rects: Vec<Option<Rect<f64>>> = shapes.iter().map(BoundingRect::bounding_rect).collect();
    let edges: Vec<Vec<[[f64; 2]; 2]>> = shapes.iter().map(edges_of).collect();
    let mut adj = vec![Vec::new(); shapes.len()];
    for i in 0..shapes.len() {
        for j in i + 1..shapes.len() {
            let (Some(a), Some(b)) = (rects[i], rects[j]) else { continue };
            let eps = 1e-9;
            let apart = a.max().x + eps < b.min().x
                || b.max().x + eps < a.min().x
                || a.max().y + eps < b.min().y
                || b.max().y + eps < a.min().y;
            if !apart && edges[i].iter().any(|e| edges[j].iter().any(|f| share(e, f))) {
                adj[i].push(j);
                adj[j].push(i);
            }
        }
    }
    adj
}

fn edges_of(shape: &MultiPolygon<f64>) -> Vec<[[f64; 2]; 2]> {
    shape
        .iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .flat_map(|ring| ring.lines().map(|l| [[l.start.x, l.start.y], [l.end.x, l.end.y]]))
        .collect()
}

/// Whether two segments lie on one line and overlap for more than a hair's breadth.
fn share(e: &[[f64; 2]; 2], f: &[[f64; 2]; 2]) -> bool {
    let (dx, dy) = (e[1][0] - e[0][0], e[1][1] - e[0][1]);
    let len = (dx * dx + dy * dy).sqrt();
    if len == 0.0 {
        return false;
    }
    let eps = 1e-9;
    let off_line = |p: [f64; 2]| ((p[0] - e[0][0]) * dy - (p[1] - e[0][1]) * dx).abs() / len > eps;
    if off_line(f[0]) || off_line(f[1]) {
        return false;
    }
    let along = |p: [f64; 2]| ((p[0] - e[0][0]) * dx + (p[1] - e[0][1]) * dy) / len;
    let (t0, t1) = (along(f[0]), along(f[1]));
    let overlap = t0.max(t1).min(len) - t0.min(t1).max(0.0);
    overlap > eps
}

/// Whether `members` form one piece in `adj`.
pub fn connected(members: &[usize], adj: &[Vec<usize>]) -> bool {
    let Some(&first) = members.first() else { return true };
    let mut seen = vec![first];
    let mut stack = vec![first];
    while let Some(i) = stack.pop() {
        for &j in &adj[i] {
            if members.contains(&j) && !seen.contains(&j) {
                seen.push(j);
                stack.push(j);
            }
        }
    }
    seen.len() == members.len()
}

/// Groups the pieces (`shapes`, each with its `weight`) into contiguous groups of about `target`
/// weight each: `round(total / target)` groups where the pieces allow (at least one), each as
/// near `total / groups` as moves across the borders can bring it. Pieces that touch nothing
/// form groups of their own. Returns, for each group, the indices of its pieces, ascending.
pub fn contiguous_groups(shapes: &[MultiPolygon<f64>], weights: &[f64], target: f64) -> Vec<Vec<usize>> {
    let n = shapes.len();
    if n == 0 {
        return Vec::new();
    }
    let adj = adjacency(shapes);
    let centre: Vec<[f64; 2]> = shapes.iter().map(|s| s.centroid().map_or([0.0, 0.0], |c| [c.x(), c.y()])).collect();
    let total: f64 = weights.iter().sum();
    let count = ((total / target).round() as usize).clamp(1, n);
    let share = total / count as f64;
    let mut group_of: Vec<Option<usize>> = vec![None; n];
    let mut groups: Vec<Vec<usize>> = Vec::new();
    while let Some(seed) = next_seed(&group_of, &adj, &centre) {
        let g = groups.len();
        let mut members = vec![seed];
        group_of[seed] = Some(g);
        let mut weight = weights[seed];
        loop {
            let frontier: Vec<usize> = members
                .iter()
                .flat_map(|&i| adj[i].iter().copied())
                .filter(|&j| group_of[j].is_none())
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            // the free neighbour touching the group most; of those the nearest the seed
            let best = frontier.into_iter().max_by(|&a, &b| {
                let touch = |j: usize| adj[j].iter().filter(|&&k| group_of[k] == Some(g)).count();
                touch(a)
                    .cmp(&touch(b))
                    .then_with(|| distance(centre[b], centre[seed]).total_cmp(&distance(centre[a], centre[seed])))
            });
            let Some(next) = best else { break };
            // stop where taking the next piece would overshoot the share more than stopping short
            if weight + weights[next] - share > share - weight && weight > 0.0 {
                break;
            }
            members.push(next);
            group_of[next] = Some(g);
            weight += weights[next];
        }
        groups.push(members);
    }
    merge_crumbs(&mut groups, &mut group_of, weights, &adj, share);
    rebalance(&mut groups, &mut group_of, weights, &adj, share);
    for g in &mut groups {
        g.sort_unstable();
    }
    groups.retain(|g| !g.is_empty());
    groups
}

fn distance(a: [f64; 2], b: [f64; 2]) -> f64 {
    (a[0] - b[0]).hypot(a[1] - b[1])
}

/// Where the next group starts: the free piece with the fewest free neighbours (the edge of
/// what is left, so that what is left stays in one piece), the north-westernmost of those.
fn next_seed(group_of: &[Option<usize>], adj: &[Vec<usize>], centre: &[[f64; 2]]) -> Option<usize> {
    (0..group_of.len()).filter(|&i| group_of[i].is_none()).min_by(|&a, &b| {
        let free = |i: usize| adj[i].iter().filter(|&&j| group_of[j].is_none()).count();
        free(a)
            .cmp(&free(b))
            .then_with(|| centre[b][1].total_cmp(&centre[a][1]))
            .then_with(|| centre[a][0].total_cmp(&centre[b][0]))
    })
}

fn weight_of(members: &[usize], weights: &[f64]) -> f64 {
    members.iter().map(|&i| weights[i]).sum()
}

/// Groups under half a share join their lightest neighbouring group.
fn merge_crumbs(
    groups: &mut [Vec<usize>],
    group_of: &mut [Option<usize>],
    weights: &[f64],
    adj: &[Vec<usize>],
    share: f64,
) {
    for g in 0..groups.len() {
        if groups[g].is_empty() || weight_of(&groups[g], weights) >= share / 2.0 {
            continue;
        }
        let neighbours: std::collections::BTreeSet<usize> =
            groups[g].iter().flat_map(|&i| adj[i].iter().filter_map(|&j| group_of[j])).filter(|&h| h != g).collect();
        let Some(into) = neighbours
            .into_iter()
            .min_by(|&a, &b| weight_of(&groups[a], weights).total_cmp(&weight_of(&groups[b], weights)))
        else {
            continue;
        };
        let moved = std::mem::take(&mut groups[g]);
        for &i in &moved {
            group_of[i] = Some(into);
        }
        groups[into].extend(moved);
    }
}

/// Moves border pieces from heavier groups to lighter neighbours while that narrows the gap
/// between the two and leaves both in one piece; at most `PASSES` sweeps over the pieces.
fn rebalance(
    groups: &mut [Vec<usize>],
    group_of: &mut [Option<usize>],
    weights: &[f64],
    adj: &[Vec<usize>],
    share: f64,
) {
    const PASSES: usize = 100;
    let mut sums: Vec<f64> = groups.iter().map(|g| weight_of(g, weights)).collect();
    for _ in 0..PASSES {
        let mut moved = false;
        for i in 0..group_of.len() {
            let Some(from) = group_of[i] else { continue };
            if weights[i] <= 0.0 || groups[from].len() == 1 {
                continue;
            }
            for &j in &adj[i] {
                let Some(to) = group_of[j] else { continue };
                if to == from {
                    continue;
                }
                let (a, b) = (sums[from] - weights[i], sums[to] + weights[i]);
                // better when the worse of the two lies nearer the share than before
                let before = (sums[from] - share).abs().max((sums[to] - share).abs());
                let after = (a - share).abs().max((b - share).abs());
                if after >= before {
                    continue;
                }
                let rest: Vec<usize> = groups[from].iter().copied().filter(|&k| k != i).collect();
                if !connected(&rest, adj) {
                    continue;
                }
                groups[from] = rest;
                groups[to].push(i);
                group_of[i] = Some(to);
                (sums[from], sums[to]) = (a, b);
                moved = true;
                break;
            }
        }
        if !moved {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    fn square(x: f64, y: f64) -> MultiPolygon<f64> {
        MultiPolygon::new(vec![
            polygon![(x: x, y: y), (x: x + 1.0, y: y), (x: x + 1.0, y: y + 1.0), (x: x, y: y + 1.0)],
        ])
    }

    #[test]
    fn neighbours_share_an_edge_not_a_corner() {
        let shapes = vec![square(0.0, 0.0), square(1.0, 0.0), square(1.0, 1.0), square(5.0, 5.0)];
        let adj = adjacency(&shapes);
        assert_eq!(adj[0], vec![1]);
        assert_eq!(adj[1], vec![0, 2]);
        assert!(adj[3].is_empty());
    }

    #[test]
    fn a_block_of_squares_becomes_contiguous_groups_near_the_target() {
        // 12 × 9 hectares of old town, 20–80 households each, grids of about 300
        let mut shapes = Vec::new();
        let mut weights = Vec::new();
        for y in 0..9 {
            for x in 0..12 {
                shapes.push(square(f64::from(x), f64::from(y)));
                weights.push(f64::from(20 + (x * 37 + y * 11) % 61));
            }
        }
        let groups = contiguous_groups(&shapes, &weights, 300.0);
        let total: f64 = weights.iter().sum();
        assert_eq!(groups.len(), (total / 300.0).round() as usize);
        let adj = adjacency(&shapes);
        let mut all: Vec<usize> = groups.iter().flatten().copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..shapes.len()).collect::<Vec<_>>(), "every piece in exactly one group");
        for g in &groups {
            assert!(connected(g, &adj), "{g:?} is in one piece");
            let w = weight_of(g, &weights);
            assert!((w - 300.0).abs() <= 90.0, "{w} households is within 30% of 300");
        }
    }

    #[test]
    fn a_u_shaped_community_keeps_its_grids_in_one_piece() {
        // a U of hectares around a lake: two arms of 3 × 8 joined by a base of 10 × 3
        let mut shapes = Vec::new();
        let mut weights = Vec::new();
        for y in 0..11 {
            for x in 0..10 {
                if y >= 3 && (3..7).contains(&x) {
                    continue;
                }
                shapes.push(square(f64::from(x), f64::from(y)));
                weights.push(f64::from(25 + (x * 13 + y * 29) % 50));
            }
        }
        let groups = contiguous_groups(&shapes, &weights, 300.0);
        let adj = adjacency(&shapes);
        let total: f64 = weights.iter().sum();
        assert!((groups.len() as f64 - total / 300.0).abs() <= 1.0, "{} groups for {total}", groups.len());
        for g in &groups {
            assert!(connected(g, &adj), "{g:?} is in one piece");
            let w = weight_of(g, &weights);
            assert!((w - 300.0).abs() <= 90.0, "{w} households is within 30% of 300");
        }
    }

    #[test]
    fn the_check_of_one_piece_sees_a_gap() {
        let shapes = vec![square(0.0, 0.0), square(1.0, 0.0), square(2.0, 0.0)];
        let adj = adjacency(&shapes);
        assert!(connected(&[0, 1, 2], &adj));
        assert!(!connected(&[0, 2], &adj));
    }
}
