//! Photo intake: type check by content, decode, EXIF capture time and GPS
//! position, and a JPEG thumbnail. Runs on a blocking thread.

use std::io::Cursor;

use chrono::{DateTime, NaiveDateTime, Utc};
use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageReader};

/// Largest photo accepted (a 48 MP phone JPEG is about 12 MB).
pub const MAX_PHOTO_BYTES: usize = 20 * 1024 * 1024;
pub const THUMB_PX: u32 = 480;

#[derive(Debug)]
pub struct Processed {
    pub content_type: &'static str,
    pub width: u32,
    pub height: u32,
    pub taken_at: Option<DateTime<Utc>>,
    pub location: Option<(f64, f64)>,
    pub thumbnail: Vec<u8>,
}

/// Checks and reads an uploaded photo; the error is a message for the user.
pub fn process(bytes: &[u8]) -> Result<Processed, String> {
    let content_type = super::routes::sniff_image(bytes)
        .ok_or("That file is not a JPEG, PNG or WebP photo. On an iPhone, choose \"Most Compatible\" under Settings → Camera → Formats.")?;
    let img = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|_| "That photo could not be read.".to_string())?
        .decode()
        .map_err(|_| "That photo is damaged or in an unsupported format.".to_string())?;
    let (width, height) = (img.width(), img.height());
    let exif = exif::Reader::new()
        .read_from_container(&mut Cursor::new(bytes))
        .ok();
    let orientation = exif
        .as_ref()
        .and_then(|e| e.get_field(exif::Tag::Orientation, exif::In::PRIMARY))
        .and_then(|f| f.value.get_uint(0))
        .unwrap_or(1);
    let taken_at = exif.as_ref().and_then(|e| {
        let f = e
            .get_field(exif::Tag::DateTimeOriginal, exif::In::PRIMARY)
            .or_else(|| e.get_field(exif::Tag::DateTime, exif::In::PRIMARY))?;
        let s = f.display_value().to_string();
        NaiveDateTime::parse_from_str(&s, "%Y-%m-%d %H:%M:%S")
            .ok()
            .map(|n| n.and_utc())
    });
    let location = exif.as_ref().and_then(|e| {
        let lat = dms(e, exif::Tag::GPSLatitude)?;
        let lon = dms(e, exif::Tag::GPSLongitude)?;
        let south = reference(e, exif::Tag::GPSLatitudeRef) == Some('S');
        let west = reference(e, exif::Tag::GPSLongitudeRef) == Some('W');
        let (lat, lon) = (
            if south { -lat } else { lat },
            if west { -lon } else { lon },
        );
        ((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon)).then_some((lat, lon))
    });
    let thumb = oriented(img.thumbnail(THUMB_PX, THUMB_PX), orientation);
    let mut thumbnail = Vec::new();
    JpegEncoder::new_with_quality(&mut thumbnail, 80)
        .encode_image(&DynamicImage::ImageRgb8(thumb.to_rgb8()))
        .map_err(|_| "That photo could not be processed.".to_string())?;
    Ok(Processed {
        content_type,
        width,
        height,
        taken_at,
        location,
        thumbnail,
    })
}

fn oriented(img: DynamicImage, orientation: u32) -> DynamicImage {
    match orientation {
        3 => img.rotate180(),
        6 => img.rotate90(),
        8 => img.rotate270(),
        _ => img,
    }
}

fn dms(e: &exif::Exif, tag: exif::Tag) -> Option<f64> {
    match &e.get_field(tag, exif::In::PRIMARY)?.value {
        exif::Value::Rational(v) if v.len() == 3 => {
            Some(v[0].to_f64() + v[1].to_f64() / 60.0 + v[2].to_f64() / 3600.0)
        }
        _ => None,
    }
}

fn reference(e: &exif::Exif, tag: exif::Tag) -> Option<char> {
    match &e.get_field(tag, exif::In::PRIMARY)?.value {
        exif::Value::Ascii(v) => v.first().and_then(|s| s.first()).map(|b| *b as char),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_pixel(w, h, image::Rgb([10, 120, 60]));
        let mut out = Vec::new();
        DynamicImage::ImageRgb8(img)
            .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn a_photo_gets_a_thumbnail_and_its_size() {
        let p = process(&png(1200, 900)).unwrap();
        assert_eq!((p.width, p.height), (1200, 900));
        assert_eq!(p.content_type, "image/png");
        let t = image::load_from_memory(&p.thumbnail).unwrap();
        assert_eq!((t.width(), t.height()), (480, 360));
        assert_eq!(p.taken_at, None);
    }

    #[test]
    fn anything_else_is_refused_with_a_message() {
        assert!(process(b"%PDF-1.7 not a photo")
            .unwrap_err()
            .contains("not a JPEG"));
        let mut broken = png(10, 10);
        broken.truncate(40);
        assert!(process(&broken).is_err());
    }
}
