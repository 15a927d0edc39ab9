//! The plan's geometry: its aspect, a round grid step for its width, and
//! the map tiles behind it (any XYZ tile server, the pin at the centre).

/// The plan's aspect: width : height = 16 : 10.
pub const ASPECT: f64 = 0.625;

/// A round grid step for a plan `w` feet wide.
pub fn grid_step(w: f64) -> f64 {
    let raw = w / 12.0;
    [
        5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0, 5000.0,
    ]
    .into_iter()
    .find(|s| *s >= raw)
    .unwrap_or(10_000.0)
}

/// Tiles for an optional map background: (href, x, y, size) in plan feet,
/// with the property's pin at (0, 0).
pub fn map_tiles(
    template: &str,
    lat: f64,
    lon: f64,
    width_ft: f64,
) -> Vec<(String, f64, f64, f64)> {
    let ft_per_px0 = 156_543.033_92 * lat.to_radians().cos() * 3.280_84;
    let want = width_ft / 900.0;
    let z = ((ft_per_px0 / want).log2().floor() as i32).clamp(1, 20);
    let n = 2f64.powi(z);
    let ft_per_px = ft_per_px0 / n;
    let px = (lon + 180.0) / 360.0 * 256.0 * n;
    let lat_r = lat.to_radians();
    let py =
        (1.0 - (lat_r.tan() + 1.0 / lat_r.cos()).ln() / std::f64::consts::PI) / 2.0 * 256.0 * n;
    let half_w = width_ft / 2.0 / ft_per_px;
    let half_h = width_ft * ASPECT / 2.0 / ft_per_px;
    let (tx0, tx1) = (
        ((px - half_w) / 256.0).floor() as i64,
        ((px + half_w) / 256.0).floor() as i64,
    );
    let (ty0, ty1) = (
        ((py - half_h) / 256.0).floor() as i64,
        ((py + half_h) / 256.0).floor() as i64,
    );
    let mut out = Vec::new();
    for tx in tx0..=tx1 {
        for ty in ty0..=ty1 {
            if ty < 0 || ty >= n as i64 {
                continue;
            }
            let wrapped = tx.rem_euclid(n as i64);
            let href = template
                .replace("{z}", &z.to_string())
                .replace("{x}", &wrapped.to_string())
                .replace("{y}", &ty.to_string());
            out.push((
                href,
                (tx as f64 * 256.0 - px) * ft_per_px,
                (ty as f64 * 256.0 - py) * ft_per_px,
                256.0 * ft_per_px,
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_tiles_cover_the_plan_around_the_pin() {
        let t = map_tiles(
            "https://t.example/{z}/{x}/{y}.png",
            30.2672,
            -97.7431,
            300.0,
        );
        assert!(!t.is_empty() && t.len() <= 16, "{}", t.len());
        assert!(t[0].0.starts_with("https://t.example/"));
        // The pin (0, 0) lies inside one of the tiles.
        assert!(t
            .iter()
            .any(|(_, x, y, s)| *x <= 0.0 && *y <= 0.0 && x + s >= 0.0 && y + s >= 0.0));
    }

    #[test]
    fn the_grid_step_is_round() {
        assert_eq!(grid_step(200.0), 25.0);
        assert_eq!(grid_step(1000.0), 100.0);
    }
}
