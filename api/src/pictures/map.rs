//! The maps a street office looks at instead of reading JSON: an SVG of a community (or a whole
//! street, its communities outlined and named) and its cells, each labelled with its short code,
//! coloured by `color_by`, with a title, a legend, a scale bar and a north arrow.

use std::fmt::Write;

use geo::{BoundingRect, Coord, InteriorPoint, MultiPolygon};
use gridhub_geo::Boundary;
use gridhub_geo::measure::metres_per_degree;
use gridhub_store::grid::Cell;
use gridhub_store::regions::community::Community;

use super::{FONTS, escape};

/// How a cell is coloured, and what the colours mean.
pub struct Colours<'a> {
    pub fill: &'a dyn Fn(&Cell) -> &'static str,
    /// (colour, meaning), drawn as a legend; empty for none.
    pub legend: &'a [(&'static str, &'static str)],
}

/// One colour for every cell.
pub const PLAIN: &str = "#dfeaf7";
const WIDTH: f64 = 1000.0;
const MARGIN: f64 = 40.0;
const HEADER: f64 = 56.0;

/// Maps WGS-84 to SVG pixels: a local equirectangular view, north up.
struct View {
    min: Coord<f64>,
    max_lat: f64,
    scale: f64,
    mx: f64,
    my: f64,
}

impl View {
    fn point(&self, c: Coord<f64>) -> (f64, f64) {
        let x = MARGIN + (c.x - self.min.x) * self.mx * self.scale;
        let y = HEADER + MARGIN + (self.max_lat - c.y) * self.my * self.scale;
        (x, y)
    }

    fn path(&self, shape: &MultiPolygon<f64>) -> String {
        let mut d = String::new();
        for ring in shape.iter().flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors())) {
            for (i, c) in ring.coords().enumerate() {
                let (x, y) = self.point(*c);
                let _ = write!(d, "{}{x:.1},{y:.1}", if i == 0 { "M" } else { "L" });
            }
            d.push('Z');
        }
        d
    }
}

/// What a map shows besides its cells: a title, the outline of the whole, and the named areas
/// inside it (a street's communities).
pub struct Sheet {
    pub name: String,
    pub code: String,
    pub area_m2: f64,
    pub outline: MultiPolygon<f64>,
    pub areas: Vec<(String, MultiPolygon<f64>)>,
}

impl Sheet {
    pub fn of_community(community: &Community) -> Self {
        Sheet {
            name: community.name.clone(),
            code: community.code.clone(),
            area_m2: community.area_m2,
            outline: Boundary::stored_shape(&community.boundary).unwrap_or_else(|| MultiPolygon::new(vec![])),
            areas: Vec::new(),
        }
    }
}

/// Renders a community's map.
pub fn render(community: &Community, cells: &[Cell], colours: &Colours) -> String {
    render_sheet(&Sheet::of_community(community), cells, colours)
}

/// Renders the map of a sheet.
pub fn render_sheet(sheet: &Sheet, cells: &[Cell], colours: &Colours) -> String {
    let outline = &sheet.outline;
    let Some(rect) = outline.bounding_rect() else { return String::new() };
    let (mx, my) = metres_per_degree(rect.center().y);
    let (w_m, h_m) = ((rect.width() * mx).max(1.0), (rect.height() * my).max(1.0));
    let scale = (WIDTH - 2.0 * MARGIN) / w_m;
    let height = HEADER + 2.0 * MARGIN + h_m * scale;
    let view = View { min: rect.min(), max_lat: rect.max().y, scale, mx, my };

    let mut svg = String::new();
    let _ = write!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height:.0}" viewBox="0 0 {WIDTH} {height:.0}" font-family="{FONTS}">"##
    );
    let _ = write!(svg, r##"<rect width="100%" height="100%" fill="#fbfaf7"/>"##);
    let total_households: i64 = cells.iter().filter_map(|c| c.households).map(i64::from).sum();
    let _ = write!(
        svg,
        r##"<text x="{MARGIN}" y="34" font-size="22" font-weight="bold" fill="#222">{} <tspan font-weight="normal" fill="#666" font-size="16">{}</tspan></text>"##,
        escape(&sheet.name),
        escape(&sheet.code)
    );
    let _ = write!(
        svg,
        r##"<text x="{MARGIN}" y="54" font-size="13" fill="#666">{} 个{} · {:.2} km²{}</text>"##,
        cells.len(),
        match cells.first().map(|c| c.layer) {
            Some(gridhub_store::grid::Layer::Unit) => "单元网格",
            _ => "网格",
        },
        sheet.area_m2 / 1e6,
        if total_households > 0 { format!(" · {total_households} 户") } else { String::new() }
    );

    let _ = write!(svg, r##"<g stroke="#4a78b0" stroke-width="0.8" stroke-linejoin="round">"##);
    for cell in cells {
        let fill = (colours.fill)(cell);
        let _ = write!(
            svg,
            r##"<path d="{}" fill="{fill}"><title>{} {}</title></path>"##,
            view.path(&cell.shape()),
            escape(&cell.code),
            escape(&cell.name)
        );
    }
    svg.push_str("</g>");
    for (_, area) in &sheet.areas {
        let _ = write!(
            svg,
            r##"<path d="{}" fill="none" stroke="#34495e" stroke-width="1.8" stroke-dasharray="6 3"/>"##,
            view.path(area)
        );
    }
    let _ = write!(
        svg,
        r##"<path d="{}" fill="none" stroke="#c0392b" stroke-width="2.5" stroke-linejoin="round"/>"##,
        view.path(outline)
    );

    // labels: the short code at a point inside each cell, sized to the cell
    let _ = write!(svg, r##"<g fill="#1d3557" text-anchor="middle" dominant-baseline="central">"##);
    for cell in cells {
        let shape = cell.shape();
        let (Some(at), Some(r)) = (shape.interior_point(), shape.bounding_rect()) else { continue };
        let (x, y) = view.point(at.0);
        let size = ((r.width() * mx).min(r.height() * my) * scale * 0.38).clamp(7.0, 16.0);
        let _ =
            write!(svg, r##"<text x="{x:.1}" y="{y:.1}" font-size="{size:.1}">{}</text>"##, escape(cell.sequence()));
    }
    svg.push_str("</g>");
    // the areas' names, on a white ground so the cells' codes do not hide them
    for (name, area) in &sheet.areas {
        let Some(at) = area.interior_point() else { continue };
        let (x, y) = view.point(at.0);
        let _ = write!(
            svg,
            r##"<text x="{x:.1}" y="{:.1}" font-size="15" font-weight="bold" text-anchor="middle" fill="#1b2631" stroke="#ffffff" stroke-width="4" paint-order="stroke">{}</text>"##,
            y - 14.0,
            escape(name)
        );
    }

    // a scale bar of a round length about a fifth of the map, and a north arrow
    let target = w_m / 5.0;
    let bar_m = [10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0, 5000.0]
        .into_iter()
        .rfind(|&m| m <= target)
        .unwrap_or(10.0);
    let (bx, by) = (MARGIN, height - 16.0);
    let bar_px = bar_m * scale;
    let label = if bar_m >= 1000.0 { format!("{} km", bar_m / 1000.0) } else { format!("{bar_m} m") };
    let _ = write!(
        svg,
        r##"<g stroke="#333" stroke-width="2"><line x1="{bx}" y1="{by}" x2="{:.1}" y2="{by}"/><line x1="{bx}" y1="{:.1}" x2="{bx}" y2="{:.1}"/><line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}"/></g><text x="{:.1}" y="{:.1}" font-size="12" fill="#333">{label}</text>"##,
        bx + bar_px,
        by - 5.0,
        by + 5.0,
        bx + bar_px,
        by - 5.0,
        bx + bar_px,
        by + 5.0,
        bx + bar_px + 8.0,
        by + 4.0
    );
    // the legend, in the header to the right of the title
    for (i, (colour, meaning)) in colours.legend.iter().enumerate() {
        let y = 18.0 + i as f64 * 17.0;
        let x = WIDTH - MARGIN - 230.0;
        let _ = write!(
            svg,
            r##"<rect x="{x}" y="{:.0}" width="13" height="13" fill="{colour}" stroke="#4a78b0" stroke-width="0.8"/><text x="{:.0}" y="{y:.0}" font-size="12" fill="#333">{}</text>"##,
            y - 10.5,
            x + 20.0,
            escape(meaning)
        );
    }
    let nx = WIDTH - MARGIN;
    let _ = write!(
        svg,
        r##"<g fill="#333"><path d="M{nx},{:.0} l-7,18 l7,-5 l7,5 z"/><text x="{nx}" y="{:.0}" font-size="13" text-anchor="middle">N</text></g>"##,
        HEADER - 6.0,
        HEADER + 26.0
    );
    svg.push_str("</svg>");
    svg
}
