//! Glyph features that survive design differences between Mincho fonts and coarse bitmaps.
//!
//! Every glyph is (1) reduced to ink coverage, (2) cut to its ink bounding box and scaled, with
//! its aspect ratio kept, into a fixed square canvas, centred, then described by
//! (3) a blurred grey-level grid (where the ink is) and (4) a grid of gradient-direction
//! histograms (which way the stroke edges run, 8 directions). Direction features describe
//! stroke edges, not stroke mass, so thick and thin designs of one character stay close.
//! Each part is square-rooted (damps heavy strokes) and L2-normalised, so the dot product of
//! two feature vectors is a similarity in 0..1.

use crate::font_build::Bitmap;

/// How fine a feature is: canvas size, grey grid and direction grid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FeatureSpec {
    /// Side of the normalised canvas, pixels.
    pub canvas: usize,
    /// Side of the grey-level grid (0: none).
    pub grey_grid: usize,
    /// Side of the direction-histogram grid.
    pub dir_grid: usize,
    /// Weight of the grey part against the direction part (0..1).
    pub grey_weight_pct: u8,
}

impl FeatureSpec {
    /// The coarse feature stored in the reference index (16×16 grey + 8×8×8 directions).
    pub const COARSE: FeatureSpec = FeatureSpec {
        canvas: 48,
        grey_grid: 16,
        dir_grid: 8,
        grey_weight_pct: 40,
    };
    /// The fine feature of the re-rank (24×24 grey + 12×12×8 directions).
    pub const FINE: FeatureSpec = FeatureSpec {
        canvas: 64,
        grey_grid: 24,
        dir_grid: 12,
        grey_weight_pct: 40,
    };

    pub fn len(&self) -> usize {
        self.grey_grid * self.grey_grid + self.dir_grid * self.dir_grid * 8
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Share of the canvas the larger side of the ink box is scaled to.
const FILL: f32 = 0.86;

/// Ink coverage in 0..1 of a bitmap.
fn ink(bm: &Bitmap) -> Vec<f32> {
    bm.data.iter().map(|&v| v as f32 / 255.0).collect()
}

/// The ink bounding box `(x0, y0, x1, y1)` in pixel-edge coordinates, or none for a blank.
fn ink_box(ink: &[f32], w: usize, h: usize) -> Option<(f32, f32, f32, f32)> {
    let (mut x0, mut y0, mut x1, mut y1) = (usize::MAX, usize::MAX, 0usize, 0usize);
    for y in 0..h {
        for x in 0..w {
            if ink[y * w + x] >= 0.25 {
                x0 = x0.min(x);
                y0 = y0.min(y);
                x1 = x1.max(x + 1);
                y1 = y1.max(y + 1);
            }
        }
    }
    (x0 != usize::MAX).then_some((x0 as f32, y0 as f32, x1 as f32, y1 as f32))
}

/// Scale the ink box into an `n`×`n` canvas (aspect kept, centred), sampling bilinearly from
/// a source pre-blurred in proportion to the shrink so thin strokes never alias away.
pub fn normalise(bm: &Bitmap, n: usize) -> Option<Vec<f32>> {
    let (w, h) = (bm.width, bm.height);
    if w == 0 || h == 0 || bm.data.len() != w * h {
        return None;
    }
    let mut src = ink(bm);
    let (x0, y0, x1, y1) = ink_box(&src, w, h)?;
    let side = (x1 - x0).max(y1 - y0).max(1.0);
    let s = n as f32 * FILL / side; // target pixels per source pixel
    if s < 0.8 {
        let r = ((1.0 / s) / 2.0).round() as usize;
        if r >= 1 {
            src = box_blur(&src, w, h, r);
        }
    }
    let (cx, cy) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
    let half = n as f32 / 2.0;
    let mut out = vec![0f32; n * n];
    for v in 0..n {
        let sy = cy + (v as f32 + 0.5 - half) / s - 0.5;
        for u in 0..n {
            let sx = cx + (u as f32 + 0.5 - half) / s - 0.5;
            out[v * n + u] = bilinear(&src, w, h, sx, sy);
        }
    }
    Some(out)
}

fn bilinear(src: &[f32], w: usize, h: usize, x: f32, y: f32) -> f32 {
    let (xi, yi) = (ifloor(x), ifloor(y));
    let (fx, fy) = (x - xi as f32, y - yi as f32);
    let at = |xx: i32, yy: i32| -> f32 {
        if xx < 0 || yy < 0 || xx >= w as i32 || yy >= h as i32 {
            0.0
        } else {
            src[yy as usize * w + xx as usize]
        }
    };
    let a = at(xi, yi);
    let b = at(xi + 1, yi);
    let c = at(xi, yi + 1);
    let d = at(xi + 1, yi + 1);
    (a * (1.0 - fx) + b * fx) * (1.0 - fy) + (c * (1.0 - fx) + d * fx) * fy
}

fn box_blur(src: &[f32], w: usize, h: usize, r: usize) -> Vec<f32> {
    let mut tmp = vec![0f32; w * h];
    let k = (2 * r + 1) as f32;
    for y in 0..h {
        for x in 0..w {
            let lo = x.saturating_sub(r);
            let hi = (x + r).min(w - 1);
            tmp[y * w + x] = src[y * w + lo..=y * w + hi].iter().sum::<f32>() / k;
        }
    }
    let mut out = vec![0f32; w * h];
    for y in 0..h {
        let lo = y.saturating_sub(r);
        let hi = (y + r).min(h - 1);
        for x in 0..w {
            out[y * w + x] = (lo..=hi).map(|yy| tmp[yy * w + x]).sum::<f32>() / k;
        }
    }
    out
}

/// Separable [1 2 1]/4 smoothing, `passes` times (a cheap Gaussian).
fn smooth(img: &mut [f32], w: usize, h: usize, passes: usize) {
    let mut tmp = vec![0f32; w * h];
    for _ in 0..passes {
        for y in 0..h {
            for x in 0..w {
                let l = if x > 0 { img[y * w + x - 1] } else { 0.0 };
                let r = if x + 1 < w { img[y * w + x + 1] } else { 0.0 };
                tmp[y * w + x] = (l + 2.0 * img[y * w + x] + r) * 0.25;
            }
        }
        for y in 0..h {
            for x in 0..w {
                let u = if y > 0 { tmp[(y - 1) * w + x] } else { 0.0 };
                let d = if y + 1 < h { tmp[(y + 1) * w + x] } else { 0.0 };
                img[y * w + x] = (u + 2.0 * tmp[y * w + x] + d) * 0.25;
            }
        }
    }
}

/// Floor of a float that is far from i32's limits (cheaper than `f32::floor`, a libm call on
/// baseline x86-64).
#[inline]
fn ifloor(x: f32) -> i32 {
    let i = x as i32;
    if (i as f32) > x { i - 1 } else { i }
}

/// The direction of (x, y) in 0..8 (eighths of a turn counter-clockwise from +x), by a
/// polynomial arctangent (error under 0.3°; `atan2` is a slow libm call).
#[inline]
fn octant_angle(x: f32, y: f32) -> f32 {
    use std::f32::consts::{FRAC_PI_2, FRAC_PI_4, PI};
    let (ax, ay) = (x.abs(), y.abs());
    if ax == 0.0 && ay == 0.0 {
        return 0.0;
    }
    let z = ax.min(ay) / ax.max(ay);
    let mut a = FRAC_PI_4 * z + 0.273 * z * (1.0 - z); // atan(z), z in 0..1
    if ay > ax {
        a = FRAC_PI_2 - a;
    }
    if x < 0.0 {
        a = PI - a;
    }
    if y < 0.0 {
        a = 2.0 * PI - a;
    }
    let o = a * (4.0 / PI);
    if o.is_finite() {
        o.clamp(0.0, 7.999_999)
    } else {
        0.0
    }
}

/// For each canvas coordinate 0..n, the two grid cells it splats into and their weights
/// (bilinear pooling of an n-pixel axis onto g cells; cells off the grid get weight 0).
fn axis_table(n: usize, g: usize) -> Vec<(usize, f32, usize, f32)> {
    let f = g as f32 / n as f32;
    (0..n)
        .map(|u| {
            let c = (u as f32 + 0.5) * f - 0.5;
            let i = ifloor(c);
            let t = c - i as f32;
            let (w0, w1) = (
                if i >= 0 { 1.0 - t } else { 0.0 },
                if i + 1 < g as i32 { t } else { 0.0 },
            );
            (
                i.clamp(0, g as i32 - 1) as usize,
                w0,
                (i + 1).clamp(0, g as i32 - 1) as usize,
                w1,
            )
        })
        .collect()
}

#[inline]
fn splat_tab(
    plane: &mut [f32],
    g: usize,
    tx: (usize, f32, usize, f32),
    ty: (usize, f32, usize, f32),
    v: f32,
) {
    let (x0, wx0, x1, wx1) = tx;
    let (y0, wy0, y1, wy1) = ty;
    plane[y0 * g + x0] += v * wx0 * wy0;
    plane[y0 * g + x1] += v * wx1 * wy0;
    plane[y1 * g + x0] += v * wx0 * wy1;
    plane[y1 * g + x1] += v * wx1 * wy1;
}

fn sqrt_normalise(v: &mut [f32], weight: f32) {
    for x in v.iter_mut() {
        *x = x.max(0.0).sqrt();
    }
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        for x in v.iter_mut() {
            *x *= weight / norm;
        }
    }
}

/// The feature vector of a glyph bitmap (any size); all zeros for a blank glyph.
pub fn extract(bm: &Bitmap, spec: FeatureSpec) -> Vec<f32> {
    let mut out = vec![0f32; spec.len()];
    let n = spec.canvas;
    let Some(mut img) = normalise(bm, n) else {
        return out;
    };
    smooth(&mut img, n, n, 1);
    let gg = spec.grey_grid;
    let dg = spec.dir_grid;
    let (grey, dir) = out.split_at_mut(gg * gg);
    // Grey grid: pool the canvas into gg×gg cells with bilinear splatting.
    if gg > 0 {
        let tab = axis_table(n, gg);
        for y in 0..n {
            let ty = tab[y];
            for x in 0..n {
                let v = img[y * n + x];
                if v > 0.0 {
                    splat_tab(grey, gg, tab[x], ty, v);
                }
            }
        }
        smooth(grey, gg, gg, 1);
    }
    // Direction grid: Sobel gradient, magnitude split between the two nearest of 8 directions.
    let tab = axis_table(n, dg);
    let plane = dg * dg;
    for y in 1..n - 1 {
        for x in 1..n - 1 {
            let p = |dx: isize, dy: isize| {
                img[(y as isize + dy) as usize * n + (x as isize + dx) as usize]
            };
            let gx = (p(1, -1) + 2.0 * p(1, 0) + p(1, 1)) - (p(-1, -1) + 2.0 * p(-1, 0) + p(-1, 1));
            let gy = (p(-1, 1) + 2.0 * p(0, 1) + p(1, 1)) - (p(-1, -1) + 2.0 * p(0, -1) + p(1, -1));
            let m = (gx * gx + gy * gy).sqrt();
            if m < 1e-3 {
                continue;
            }
            let a = octant_angle(gx, gy);
            let b0 = (a as usize).min(7);
            let t = a - b0 as f32;
            let b1 = (b0 + 1) % 8;
            let (tx, ty) = (tab[x], tab[y]);
            splat_tab(
                &mut dir[b0 * plane..(b0 + 1) * plane],
                dg,
                tx,
                ty,
                m * (1.0 - t),
            );
            splat_tab(&mut dir[b1 * plane..(b1 + 1) * plane], dg, tx, ty, m * t);
        }
    }
    for d in 0..8 {
        smooth(&mut dir[d * plane..(d + 1) * plane], dg, dg, 1);
    }
    let wg = spec.grey_weight_pct as f32 / 100.0;
    if gg > 0 {
        sqrt_normalise(grey, wg.sqrt());
        sqrt_normalise(dir, (1.0 - wg).sqrt());
    } else {
        sqrt_normalise(dir, 1.0);
    }
    out
}

/// Dot product (the similarity of two features from [`extract`]).
#[inline]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut s = [0f32; 8];
    let mut ca = a.chunks_exact(8);
    let mut cb = b.chunks_exact(8);
    for (x, y) in (&mut ca).zip(&mut cb) {
        for i in 0..8 {
            s[i] += x[i] * y[i];
        }
    }
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    s.iter().sum::<f32>() + tail
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cross(size: usize, thick: usize) -> Bitmap {
        let mut b = Bitmap::new(size, size);
        let m = size / 2;
        for i in size / 8..size - size / 8 {
            for t in 0..thick {
                b.set(i, m + t - thick / 2, 255);
                b.set(m + t - thick / 2, i, 255);
            }
        }
        b
    }

    #[test]
    fn octant_angle_tracks_atan2() {
        for i in 0..360 {
            let t = (i as f32 + 0.5).to_radians();
            let (x, y) = (t.cos() * 3.0, t.sin() * 3.0);
            let want = y.atan2(x).rem_euclid(std::f32::consts::TAU) * 4.0 / std::f32::consts::PI;
            assert!(
                (octant_angle(x, y) - want).abs() < 0.01,
                "{i}: {} vs {want}",
                octant_angle(x, y)
            );
        }
    }

    #[test]
    fn features_are_unit_length_and_blank_is_zero() {
        let f = extract(&cross(64, 5), FeatureSpec::COARSE);
        assert_eq!(f.len(), FeatureSpec::COARSE.len());
        assert!((dot(&f, &f) - 1.0).abs() < 1e-4);
        let z = extract(&Bitmap::new(24, 24), FeatureSpec::COARSE);
        assert!(z.iter().all(|&v| v == 0.0));
    }

    #[test]
    fn scale_and_thickness_change_little_but_shape_does() {
        let a = extract(&cross(64, 5), FeatureSpec::COARSE);
        let b = extract(&cross(24, 2), FeatureSpec::COARSE);
        let mut bar = Bitmap::new(64, 64);
        for i in 8..56 {
            for t in 0..5 {
                bar.set(i, 30 + t, 255);
                bar.set(i, 10 + t, 255);
            }
        }
        let c = extract(&bar, FeatureSpec::COARSE);
        assert!(dot(&a, &b) > 0.85, "{}", dot(&a, &b));
        assert!(dot(&a, &c) < dot(&a, &b) - 0.2);
    }
}
