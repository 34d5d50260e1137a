//! Small server-side SVG charts for the business page and the inbox: a business's reviews over
//! time (rating trend, volume, reply time; by week or by month).
//!
//! Pure: a [`Chart`] in, one inline `<svg>` element out, for a template to print with `|safe`.
//! So every piece of text is escaped here ([`escape`]), never by the template. The pages' CSP
//! is `style-src 'self'`: no `style` attribute and no `<style>` element, only presentation
//! attributes (`fill`, `stroke`, … with `currentColor`, which are the look without the
//! stylesheet) and `chart-` classes that the site's stylesheet colours. The SVG is an image
//! with a title; the page shows the same figures as a table for anyone who cannot see it.
//!
//! Geometry: a fixed logical size ([`WIDTH`] × [`HEIGHT`]) in a `viewBox`, scaled to the
//! width of its container. Every coordinate is written with at most one decimal, and nothing
//! the caller passes (NaN, infinities, an empty series, a silly range) can make it panic or
//! print `NaN`.

use std::fmt::{self, Write as _};

/// The logical width of every chart (the `viewBox`'s).
pub const WIDTH: f64 = 640.0;
/// The logical height of every chart.
pub const HEIGHT: f64 = 220.0;

/// The plot area's top edge (room for half of the top tick label).
const TOP: f64 = 12.0;
/// The plot area's bottom edge: the baseline, where `y_min` is.
const BOTTOM: f64 = 190.0;
/// Where the X labels' baseline is.
const X_LABEL_Y: f64 = 208.0;
const FONT_SIZE: f64 = 12.0;
/// A generous estimate of one character's width (proportional fonts, digits ≈ 0.55 em).
const CHAR_WIDTH: f64 = FONT_SIZE * 0.6;
/// The least room between two X labels, and between a tick label and the plot.
const GAP: f64 = 10.0;
const MIN_LEFT: f64 = 28.0;
const MIN_RIGHT: f64 = 12.0;
/// At most this many X labels, whatever the number of points.
const MAX_X_LABELS: usize = 8;
/// Labels and ticks longer than this are cut (with "…"): they are short dates and numbers,
/// and the layout must stay sane whatever comes in.
const MAX_LABEL_CHARS: usize = 20;
const DOT_RADIUS: f64 = 3.0;
/// A bar takes this share of its slot, and never more than `MAX_BAR_WIDTH`.
const BAR_SHARE: f64 = 0.7;
const MAX_BAR_WIDTH: f64 = 48.0;

/// One bucket of the series (a week, a month).
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// Already in the visitor's language (e.g. "3 nov").
    pub label: String,
    /// `None`: no data for that bucket, a gap (not zero). Non-finite values count as `None`.
    pub value: Option<f64>,
}

/// How the values are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// A line through the values (broken at every gap), with a dot on each.
    Line,
    /// One bar per value, from `y_min` up.
    Bars,
}

/// What to draw.
pub struct Chart<'a> {
    /// Unique on the page, ASCII `[a-z0-9-]` (anything else becomes `-`): element ids start
    /// with it.
    pub id: &'a str,
    /// The accessible title, in the visitor's language (e.g. "Voto medio per settimana").
    pub title: &'a str,
    pub points: &'a [Point],
    pub style: Style,
    /// The bottom of the Y axis (1.0 for star ratings, 0.0 for counts).
    pub y_min: f64,
    /// The top of the Y axis (5.0 for stars), or `None` for a round number (1, 2 or 5 × 10^k)
    /// at least the largest value and at least `y_min + 1`.
    pub y_max: Option<f64>,
    /// Writes a tick's value (localised decimals, durations).
    pub format: &'a dyn Fn(f64) -> String,
}

impl fmt::Debug for Chart<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Chart")
            .field("id", &self.id)
            .field("title", &self.title)
            .field("points", &self.points)
            .field("style", &self.style)
            .field("y_min", &self.y_min)
            .field("y_max", &self.y_max)
            .finish_non_exhaustive()
    }
}

/// The chart as one inline `<svg>` element, every text in it escaped.
pub fn svg(chart: &Chart) -> String {
    let id = element_id(chart.id);
    let values: Vec<Option<f64>> = chart
        .points
        .iter()
        .map(|p| p.value.filter(|v| v.is_finite()))
        .collect();
    let scale = Scale::new(chart.y_min, chart.y_max, &values);
    let ticks: Vec<(f64, String)> = scale
        .ticks()
        .map(|v| (v, clip(&(chart.format)(v))))
        .collect();
    let labels: Vec<String> = chart.points.iter().map(|p| clip(&p.label)).collect();

    // Room for the tick labels on the left, and for half of an X label on either side, so
    // that the first and the last label are never cut.
    let tick_width = ticks.iter().map(|(_, t)| text_width(t)).fold(0.0, f64::max);
    let label_width = labels.iter().map(|l| text_width(l)).fold(0.0, f64::max);
    let left = (tick_width + GAP).max(label_width / 2.0).max(MIN_LEFT);
    let right = WIDTH - (label_width / 2.0).max(MIN_RIGHT);
    let plot_width = right - left;

    let count = values.len();
    let slot = plot_width / count.max(1) as f64;
    let x = |i: usize| left + slot * (i as f64 + 0.5);
    let y = |v: f64| scale.y(v);

    let mut out = String::with_capacity(1024 + count * 64);
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {} {}" width="100%" preserveAspectRatio="xMidYMid meet" role="img" aria-labelledby="{id}-title">"#,
        num(WIDTH),
        num(HEIGHT),
    );
    let _ = write!(
        out,
        r#"<title id="{id}-title">{}</title>"#,
        escape(chart.title)
    );

    // Grid lines above the baseline (the baseline is the X axis).
    out.push_str(r#"<g class="chart-grid" stroke="currentColor" stroke-opacity="0.3" shape-rendering="crispEdges">"#);
    for (v, _) in ticks.iter().skip(1) {
        let _ = write!(
            out,
            r#"<line x1="{}" y1="{y}" x2="{}" y2="{y}"/>"#,
            num(left),
            num(right),
            y = num(y(*v)),
        );
    }
    out.push_str("</g>");

    let _ = write!(
        out,
        r#"<g class="chart-label chart-y" fill="currentColor" font-size="{}" text-anchor="end">"#,
        num(FONT_SIZE)
    );
    for (v, text) in &ticks {
        let _ = write!(
            out,
            r#"<text x="{}" y="{}" dy="0.35em">{}</text>"#,
            num(left - GAP / 2.0),
            num(y(*v)),
            escape(text),
        );
    }
    out.push_str("</g>");

    let _ = write!(
        out,
        r#"<g class="chart-label chart-x" fill="currentColor" font-size="{}" text-anchor="middle">"#,
        num(FONT_SIZE)
    );
    let stride = label_stride(count, plot_width, label_width);
    for (i, label) in labels.iter().enumerate().step_by(stride) {
        let _ = write!(
            out,
            r#"<text x="{}" y="{}">{}</text>"#,
            num(x(i)),
            num(X_LABEL_Y),
            escape(label),
        );
    }
    out.push_str("</g>");

    let _ = write!(
        out,
        r#"<g class="chart-axis" stroke="currentColor" shape-rendering="crispEdges"><line x1="{l}" y1="{t}" x2="{l}" y2="{b}"/><line x1="{l}" y1="{b}" x2="{r}" y2="{b}"/></g>"#,
        l = num(left),
        r = num(right),
        t = num(TOP),
        b = num(BOTTOM),
    );

    let present = || {
        values
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.map(|v| (i, v)))
    };
    if present().next().is_some() {
        match chart.style {
            Style::Line => {
                out.push_str(r#"<g class="chart-line" fill="none" stroke="currentColor" stroke-width="2" stroke-linejoin="round" stroke-linecap="round">"#);
                // One path per run of consecutive values: a gap breaks the line. A value
                // alone between gaps is only its dot.
                let mut run: Vec<(usize, f64)> = Vec::new();
                let ends = std::iter::once(None);
                for p in present().map(Some).chain(ends) {
                    if let Some(p) = p
                        && run.last().is_none_or(|(i, _)| i + 1 == p.0)
                    {
                        run.push(p);
                        continue;
                    }
                    if run.len() >= 2 {
                        out.push_str(r#"<path d=""#);
                        for (k, (i, v)) in run.iter().enumerate() {
                            let command = if k == 0 { 'M' } else { 'L' };
                            let _ = write!(out, "{command}{} {}", num(x(*i)), num(y(*v)));
                        }
                        out.push_str(r#""/>"#);
                    }
                    run.clear();
                    run.extend(p);
                }
                out.push_str("</g>");
                out.push_str(r#"<g class="chart-dot" fill="currentColor">"#);
                for (i, v) in present() {
                    let _ = write!(
                        out,
                        r#"<circle cx="{}" cy="{}" r="{}"/>"#,
                        num(x(i)),
                        num(y(v)),
                        num(DOT_RADIUS),
                    );
                }
                out.push_str("</g>");
            }
            Style::Bars => {
                let width = (slot * BAR_SHARE).min(MAX_BAR_WIDTH);
                out.push_str(r#"<g class="chart-bar" fill="currentColor">"#);
                for (i, v) in present() {
                    let top = y(v);
                    let _ = write!(
                        out,
                        r#"<rect x="{}" y="{}" width="{}" height="{}"/>"#,
                        num(x(i) - width / 2.0),
                        num(top),
                        num(width),
                        num(BOTTOM - top),
                    );
                }
                out.push_str("</g>");
            }
        }
    }

    out.push_str("</svg>");
    out
}

/// The Y axis: from `min` to `max` in `divisions` equal steps.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Scale {
    min: f64,
    max: f64,
    divisions: u32,
}

impl Scale {
    fn new(y_min: f64, y_max: Option<f64>, values: &[Option<f64>]) -> Self {
        let min = if y_min.is_finite() { y_min } else { 0.0 };
        let fixed = y_max.filter(|m| m.is_finite() && *m > min);
        let data_max = values.iter().flatten().copied().fold(f64::NAN, f64::max);
        let target = if data_max.is_finite() {
            data_max.max(min + 1.0)
        } else {
            min + 1.0
        };
        // A round top, 1, 2 or 5 × 10^k (or, when the whole axis is at or below zero, a round
        // span above `min`).
        let round_above = |m: f64| {
            if target > 0.0 {
                nice_ceil(m)
            } else {
                min + nice_ceil(m - min)
            }
        };
        let scale = match fixed {
            Some(max) => Self::with(min, max),
            None => {
                // Whole values (counts) get whole ticks: go up to the next round top until
                // the steps are whole.
                let whole = min.fract() == 0.0 && values.iter().flatten().all(|v| v.fract() == 0.0);
                let mut max = round_above(target);
                let mut scale = Self::with(min, max);
                for _ in 0..8 {
                    if !whole || is_whole(scale.step()) {
                        break;
                    }
                    max = round_above(max + (max - min) * 0.5);
                    scale = Self::with(min, max);
                }
                scale
            }
        };
        let span = scale.max - scale.min;
        if span.is_finite() && span > 0.0 && scale.step() > 0.0 && scale.ticks().all(f64::is_finite)
        {
            scale
        } else {
            // Nothing sensible came in (e.g. y_min = 1e300): any valid axis beats a panic.
            Self::with(0.0, 1.0)
        }
    }

    /// Between 3 and 5 steps, each 1, 2 or 5 × 10^k if there is such a division (then 2.5 ×
    /// 10^k), else 4.
    fn with(min: f64, max: f64) -> Self {
        let span = max - min;
        let divisions = [5, 4, 3]
            .into_iter()
            .find(|n| is_nice(span / f64::from(*n), &[1.0, 2.0, 5.0, 10.0]))
            .or_else(|| {
                [4, 5, 3]
                    .into_iter()
                    .find(|n| is_nice(span / f64::from(*n), &[2.5]))
            })
            .unwrap_or(4);
        Self {
            min,
            max,
            divisions,
        }
    }

    fn step(&self) -> f64 {
        (self.max - self.min) / f64::from(self.divisions)
    }

    fn ticks(&self) -> impl Iterator<Item = f64> {
        let Self {
            min,
            max,
            divisions,
        } = *self;
        // span × i / n rather than i × step: 3 / 5 is 0.6, 3 × 0.2 is not. (And span × (i / n)
        // where span × i would overflow.)
        let span = max - min;
        (0..=divisions).map(move |i| {
            let (i, n) = (f64::from(i), f64::from(divisions));
            let v = min + span * i / n;
            if v.is_finite() {
                v
            } else {
                min + span * (i / n)
            }
        })
    }

    /// Where `v` is, in the plot; values outside the axis stay on its edges.
    fn y(&self, v: f64) -> f64 {
        let t = (v - self.min) / (self.max - self.min);
        let t = if t.is_finite() {
            t.clamp(0.0, 1.0)
        } else {
            0.0
        };
        BOTTOM - t * (BOTTOM - TOP)
    }
}

/// The least of 1, 2, 5 × 10^k that is at least `x` (`x` itself if there is none, e.g. for
/// values near `f64::MAX`).
fn nice_ceil(x: f64) -> f64 {
    if !(x.is_finite() && x > 0.0) {
        return 1.0;
    }
    let power = 10f64.powf(x.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|c| c.is_finite() && x <= c * (1.0 + 1e-9))
        .unwrap_or(x)
}

/// Whether `step` is one of `mantissas` × 10^k.
fn is_nice(step: f64, mantissas: &[f64]) -> bool {
    if !(step.is_finite() && step > 0.0) {
        return false;
    }
    let power = 10f64.powf(step.log10().floor());
    let m = step / power;
    mantissas.iter().any(|c| (m - c).abs() < 1e-9 * c)
}

fn is_whole(x: f64) -> bool {
    x.is_finite() && (x - x.round()).abs() < 1e-9
}

/// Show every `stride`-th X label: at most [`MAX_X_LABELS`], and each with room for the widest.
fn label_stride(count: usize, plot_width: f64, label_width: f64) -> usize {
    // `as` saturates: NaN is 0, and 0 is raised to 1.
    let fits = (plot_width / (label_width + GAP)).floor() as usize;
    let most = fits.clamp(1, MAX_X_LABELS);
    count.div_ceil(most).max(1)
}

/// The estimated width of a text at the charts' font size.
fn text_width(s: &str) -> f64 {
    s.chars().count() as f64 * CHAR_WIDTH
}

/// At most [`MAX_LABEL_CHARS`] characters.
fn clip(s: &str) -> String {
    if s.chars().count() <= MAX_LABEL_CHARS {
        s.to_owned()
    } else {
        let mut cut: String = s.chars().take(MAX_LABEL_CHARS - 1).collect();
        cut.push('…');
        cut
    }
}

/// The id as `[a-z0-9-]`, never empty.
fn element_id(id: &str) -> String {
    let id: String = id
        .chars()
        .map(|c| match c {
            'a'..='z' | '0'..='9' | '-' => c,
            'A'..='Z' => c.to_ascii_lowercase(),
            _ => '-',
        })
        .collect();
    if id.is_empty() {
        "chart".to_owned()
    } else {
        id
    }
}

/// Text for XML content and attribute values: the five special characters as references,
/// and the characters XML 1.0 does not allow at all (most control characters) dropped.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c < ' ' || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// A coordinate with at most one decimal ("12", "12.5"), never "NaN", "inf" or "-0".
fn num(v: f64) -> String {
    if !v.is_finite() {
        return "0".to_owned();
    }
    let r = (v.clamp(-1e6, 1e6) * 10.0).round() / 10.0;
    if r == 0.0 {
        "0".to_owned()
    } else if r.fract() == 0.0 {
        format!("{r:.0}")
    } else {
        format!("{r:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(v: f64) -> String {
        format!("{v}")
    }

    fn points(values: &[Option<f64>]) -> Vec<Point> {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| Point {
                label: format!("{} nov", i + 1),
                value: *v,
            })
            .collect()
    }

    fn render(values: &[Option<f64>], style: Style, y_min: f64, y_max: Option<f64>) -> String {
        let points = points(values);
        let out = svg(&Chart {
            id: "trend",
            title: "Voto medio per settimana",
            points: &points,
            style,
            y_min,
            y_max,
            format: &plain,
        });
        assert_well_formed(&out);
        out
    }

    /// The content of the first `<g class="{class}" …>…</g>`.
    fn group<'a>(svg: &'a str, class: &str) -> &'a str {
        let open = format!(r#"<g class="{class}""#);
        let start = svg.find(&open).expect("group is there");
        let rest = &svg[start..];
        &rest[..rest.find("</g>").expect("group is closed")]
    }

    /// A small well-formedness check: tags balance, attributes are quoted and unique, and
    /// every `&` starts one of the references `escape` writes.
    fn assert_well_formed(s: &str) {
        assert!(s.starts_with("<svg "), "{s}");
        assert!(s.ends_with("</svg>"), "{s}");
        let mut stack: Vec<&str> = Vec::new();
        let mut rest = s;
        while let Some(lt) = rest.find('<') {
            assert_text(&rest[..lt]);
            rest = &rest[lt + 1..];
            let gt = rest.find('>').expect("tag is closed");
            let tag = &rest[..gt];
            rest = &rest[gt + 1..];
            if let Some(name) = tag.strip_prefix('/') {
                assert_eq!(stack.pop(), Some(name), "closing tag matches");
                continue;
            }
            if stack.is_empty() {
                assert!(tag.starts_with("svg "), "one root element: {tag}");
            }
            let (body, closed) = match tag.strip_suffix('/') {
                Some(body) => (body, true),
                None => (tag, false),
            };
            let name_end = body.find(' ').unwrap_or(body.len());
            let name = &body[..name_end];
            assert!(
                !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric()),
                "tag name {name:?}"
            );
            let mut attrs = body[name_end..].trim_start();
            let mut seen = Vec::new();
            while !attrs.is_empty() {
                let eq = attrs.find("=\"").expect("attribute is name=\"value\"");
                let attr = &attrs[..eq];
                assert!(
                    attr.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == ':'),
                    "attribute name {attr:?}"
                );
                assert!(!seen.contains(&attr), "duplicate attribute {attr}");
                seen.push(attr);
                let value_and_rest = &attrs[eq + 2..];
                let close = value_and_rest.find('"').expect("value is closed");
                let value = &value_and_rest[..close];
                assert!(!value.contains('<'));
                assert_text(value);
                attrs = value_and_rest[close + 1..].trim_start();
            }
            if !closed {
                stack.push(name);
            }
            if stack.is_empty() {
                assert!(rest.is_empty(), "nothing after the root: {rest}");
            }
        }
        assert_text(rest);
        assert!(stack.is_empty(), "unclosed: {stack:?}");
    }

    fn assert_text(text: &str) {
        assert!(!text.contains('>'), "raw > in {text:?}");
        for (i, _) in text.match_indices('&') {
            let after = &text[i..];
            assert!(
                ["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"]
                    .iter()
                    .any(|r| after.starts_with(r)),
                "bare & in {text:?}"
            );
        }
    }

    #[test]
    fn escape_writes_references() {
        assert_eq!(
            escape("<script>alert(1)</script>"),
            "&lt;script&gt;alert(1)&lt;/script&gt;"
        );
        assert_eq!(escape(r#""a&b'"#), "&quot;a&amp;b&#39;");
        assert_eq!(escape("3 nov\u{0}\u{8}"), "3 nov");
        assert_eq!(escape("già"), "già");
    }

    #[test]
    fn every_text_is_escaped() {
        let points = vec![
            Point {
                label: "<script>alert(1)</script>".to_owned(),
                value: Some(3.0),
            },
            Point {
                label: r#""a&b'"#.to_owned(),
                value: Some(4.0),
            },
        ];
        let out = svg(&Chart {
            id: "x\"><script>",
            title: "<b>Voto</b> & \"media\" <script>alert(1)</script>",
            points: &points,
            style: Style::Line,
            y_min: 1.0,
            y_max: Some(5.0),
            format: &|v| format!("<{v}>"),
        });
        assert_well_formed(&out);
        assert!(!out.contains("<script"), "{out}");
        assert!(!out.contains("<b>"), "{out}");
        // Cut to 20 characters before escaping, so never inside a reference.
        assert!(
            out.contains(">&lt;script&gt;alert(1)&lt;/s…</text>"),
            "{out}"
        );
        assert!(out.contains("&quot;a&amp;b&#39;"), "{out}");
        assert!(out.contains(
            "&lt;b&gt;Voto&lt;/b&gt; &amp; &quot;media&quot; &lt;script&gt;alert(1)&lt;/script&gt;"
        ));
        assert!(out.contains("&lt;5&gt;"), "ticks are escaped: {out}");
        assert!(
            out.contains(r#"aria-labelledby="x---script--title""#),
            "{out}"
        );
        assert!(out.contains(r#"<title id="x---script--title">"#), "{out}");
    }

    #[test]
    fn accessible_and_no_inline_style() {
        let out = render(&[Some(4.0), Some(4.5)], Style::Line, 1.0, Some(5.0));
        assert!(out.contains(r#"role="img""#));
        assert!(out.contains(r#"aria-labelledby="trend-title""#));
        assert!(out.contains(r#"<title id="trend-title">Voto medio per settimana</title>"#));
        assert!(out.contains(r#"viewBox="0 0 640 220""#));
        assert!(!out.contains("style"), "{out}");
        assert!(!out.contains("<script"));
    }

    #[test]
    fn gaps_break_the_line() {
        let v = |x: f64| Some(x);
        let out = render(
            &[
                v(4.0),
                v(4.2),
                None,
                v(3.5),
                v(3.9),
                v(4.1),
                None,
                None,
                v(5.0),
            ],
            Style::Line,
            1.0,
            Some(5.0),
        );
        let line = group(&out, "chart-line");
        assert_eq!(line.matches("<path ").count(), 2, "{out}");
        // Each path has one move and one segment per further point.
        let paths: Vec<&str> = line.split("<path ").skip(1).collect();
        assert_eq!(paths[0].matches('M').count(), 1);
        assert_eq!(paths[0].matches('L').count(), 1);
        assert_eq!(paths[1].matches('L').count(), 2);
        // A lone value is a dot only; every value has its dot.
        assert_eq!(group(&out, "chart-dot").matches("<circle ").count(), 6);

        let out = render(&[v(1.0), None, v(2.0)], Style::Line, 1.0, Some(5.0));
        assert_eq!(out.matches("<path ").count(), 0);
        assert_eq!(out.matches("<circle ").count(), 2);
    }

    #[test]
    fn bars_one_per_value() {
        let out = render(
            &[Some(3.0), None, Some(0.0), Some(12.0), None, Some(7.0)],
            Style::Bars,
            0.0,
            None,
        );
        assert_eq!(
            group(&out, "chart-bar").matches("<rect ").count(),
            4,
            "{out}"
        );
        assert!(!out.contains("<path ") && !out.contains("<circle "));
        // 12 → the top is 20: the 12 bar is 60% of the plot's height (178 × 0.6 = 106.8).
        assert!(out.contains(r#"height="106.8""#), "{out}");
        // Zero is a bar of no height, at the baseline.
        assert!(out.contains(r#"y="190" width="#), "{out}");
    }

    #[test]
    fn nice_max() {
        let max = |values: &[f64], y_min: f64| {
            let values: Vec<Option<f64>> = values.iter().copied().map(Some).collect();
            Scale::new(y_min, None, &values).max
        };
        assert_eq!(max(&[3.2], 0.0), 5.0);
        assert_eq!(max(&[7.0], 0.0), 10.0);
        assert_eq!(max(&[12.0], 0.0), 20.0);
        assert_eq!(max(&[20.0], 0.0), 20.0);
        assert_eq!(max(&[101.0, 3.0], 0.0), 200.0);
        assert_eq!(max(&[1000.0], 0.0), 1000.0);
        assert_eq!(max(&[0.4], 0.0), 1.0, "at least y_min + 1");
        assert_eq!(max(&[1.5], 1.0), 2.0);
        assert_eq!(max(&[], 0.0), 5.0, "whole values: whole ticks");
        assert_eq!(max(&[1.0], 0.0), 5.0, "whole values: whole ticks");
        assert_eq!(max(&[0.3, 1.0], 0.0), 1.0);
        assert_eq!(max(&[-7.0], -10.0), -5.0);
        for (values, y_min) in [
            (&[3.2][..], 0.0),
            (&[7.0], 0.0),
            (&[101.0], 0.0),
            (&[0.4], 0.0),
            (&[-7.0], -10.0),
            (&[1e300], 0.0),
        ] {
            let values: Vec<Option<f64>> = values.iter().copied().map(Some).collect();
            let s = Scale::new(y_min, None, &values);
            assert!((3..=5).contains(&s.divisions), "{s:?}");
            assert!(s.max >= values[0].unwrap_or(0.0), "{s:?}");
            assert!(s.ticks().all(f64::is_finite));
        }
    }

    #[test]
    fn fixed_range_ticks() {
        let s = Scale::new(1.0, Some(5.0), &[Some(4.2)]);
        assert_eq!(s.ticks().collect::<Vec<_>>(), [1.0, 2.0, 3.0, 4.0, 5.0]);
        let s = Scale::new(0.0, None, &[Some(0.9)]);
        assert_eq!(
            s.ticks().collect::<Vec<_>>(),
            [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
        );
        // A fixed max below y_min, or not finite, is ignored.
        let s = Scale::new(5.0, Some(1.0), &[]);
        assert!(s.max > s.min);
        let s = Scale::new(0.0, Some(f64::NAN), &[Some(3.0)]);
        assert_eq!(s.max, 5.0);
        // Values off the axis stay on its edges.
        let s = Scale::new(1.0, Some(5.0), &[]);
        assert_eq!(s.y(9.0), TOP);
        assert_eq!(s.y(0.0), BOTTOM);
    }

    #[test]
    fn grid_lines_and_tick_labels() {
        let out = render(&[Some(4.0)], Style::Line, 1.0, Some(5.0));
        let grid = group(&out, "chart-grid").matches("<line ").count();
        assert!((3..=5).contains(&grid), "{out}");
        let ticks = group(&out, "chart-label chart-y").matches("<text ").count();
        assert_eq!(ticks, grid + 1);
        for t in ["1", "2", "3", "4", "5"] {
            assert!(out.contains(&format!(">{t}</text>")), "{out}");
        }
    }

    #[test]
    fn empty_and_all_none_charts_are_valid() {
        for values in [
            &[][..],
            &[None, None, None],
            &[Some(f64::NAN), Some(f64::INFINITY)],
        ] {
            for style in [Style::Line, Style::Bars] {
                for (y_min, y_max) in [(0.0, None), (1.0, Some(5.0)), (f64::NAN, Some(f64::NAN))] {
                    let out = render(values, style, y_min, y_max);
                    assert!(!out.contains("NaN") && !out.contains("inf"), "{out}");
                    assert!(out.contains("<title id=\"trend-title\">"));
                    assert!(out.contains(r#"class="chart-axis""#));
                    assert!(!out.contains("<path ") && !out.contains("<rect "));
                    assert!(!out.contains("<circle "));
                }
            }
        }
    }

    #[test]
    fn hostile_numbers_never_panic_or_print_nan() {
        let values = [
            Some(f64::MAX),
            Some(-f64::MAX),
            Some(f64::NEG_INFINITY),
            None,
            Some(1e-320),
            Some(-3.0),
        ];
        for style in [Style::Line, Style::Bars] {
            for (y_min, y_max) in [
                (0.0, None),
                (1e300, None),
                (-f64::MAX, Some(f64::MAX)),
                (f64::INFINITY, None),
                (0.0, Some(0.0)),
            ] {
                let out = render(&values, style, y_min, y_max);
                assert!(!out.contains("NaN") && !out.contains("inf"), "{out}");
            }
        }
    }

    #[test]
    fn coordinates_have_at_most_one_decimal() {
        assert_eq!(num(12.0), "12");
        assert_eq!(num(12.345), "12.3");
        assert_eq!(num(-0.01), "0");
        assert_eq!(num(f64::NAN), "0");
        assert_eq!(num(0.30000000000000004), "0.3");
        let v: Vec<Option<f64>> = (0..26)
            .map(|i| Some(1.0 + f64::from(i % 7) / 1.7))
            .collect();
        let out = render(&v, Style::Line, 1.0, Some(5.0));
        for part in out.split('"') {
            if let Some((_, decimals)) = part.split_once('.')
                && part
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == '.' || c == '-')
            {
                assert!(decimals.len() <= 1, "{part}");
            }
        }
    }

    #[test]
    fn labels_are_thinned() {
        for n in [1, 5, 8, 12, 26, 52, 400] {
            let v = vec![Some(2.0); n];
            let out = render(&v, Style::Bars, 0.0, None);
            let labels = group(&out, "chart-label chart-x");
            let count = labels.matches("<text ").count();
            assert!(count <= MAX_X_LABELS, "{n} points: {count} labels");
            assert!(count >= n.min(4), "{n} points: {count} labels");
            if n == 52 {
                assert!(count >= 6, "{count}");
            }
            // Never overlapping: the centres are at least the widest label (plus a gap) apart.
            let xs: Vec<f64> = labels
                .split(" x=\"")
                .skip(1)
                .map(|s| s[..s.find('"').unwrap()].parse().unwrap())
                .collect();
            let widest = (1..=n)
                .map(|i| text_width(&format!("{i} nov")))
                .fold(0.0, f64::max);
            for pair in xs.windows(2) {
                assert!(pair[1] - pair[0] >= widest + GAP - 0.1, "{n}: {xs:?}");
            }
            // And within the picture.
            for x in &xs {
                assert!(
                    x - widest / 2.0 >= 0.0 && x + widest / 2.0 <= WIDTH,
                    "{n}: {xs:?}"
                );
            }
        }
    }

    #[test]
    fn long_labels_are_cut_and_fewer() {
        let points: Vec<Point> = (0..12)
            .map(|i| Point {
                label: format!("settimana del {i} novembre 2024"),
                value: Some(1.0),
            })
            .collect();
        let out = svg(&Chart {
            id: "long",
            title: "t",
            points: &points,
            style: Style::Bars,
            y_min: 0.0,
            y_max: None,
            format: &plain,
        });
        assert_well_formed(&out);
        assert!(out.contains("settimana del 0 nov…"), "{out}");
        let count = group(&out, "chart-label chart-x").matches("<text ").count();
        assert!((1..=4).contains(&count), "{count}");
    }

    #[test]
    fn element_ids_are_safe() {
        assert_eq!(element_id("rating-weekly"), "rating-weekly");
        assert_eq!(element_id("Rating Weekly"), "rating-weekly");
        assert_eq!(element_id(""), "chart");
    }
}
