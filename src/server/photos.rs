//! Photo intake: type check by content, size check from the header, decode
//! within limits, EXIF capture time and GPS position, and a JPEG thumbnail.
//! Runs on a blocking thread, at most one per core at a time (the caller
//! holds a permit of `AppState::decodes`).
//!
//! The limits accept any real phone photo (a 48 MP camera makes 8064 x 6048
//! = 48.8 million pixels; 50 MP ones 8160 x 6144) and refuse what only a
//! decompression bomb looks like: a 1 MB PNG of 11,000 x 11,000 pixels
//! would need 360 MiB to decode, and is refused from its header alone.

use std::io::{BufRead, Cursor, Seek, SeekFrom};

use chrono::{DateTime, NaiveDateTime, Utc};
use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageReader, Limits};

/// Largest photo file accepted (a 48 MP phone JPEG is about 12 MB).
pub const MAX_PHOTO_BYTES: usize = 20 * 1024 * 1024;
/// Most pixels a photo may have: 64 million (a 48-50 MP phone photo fits).
pub const MAX_PIXELS: u64 = 64_000_000;
/// Longest side in pixels.
pub const MAX_SIDE: u32 = 16_384;
/// Most memory one decode may allocate.
pub const MAX_DECODE_BYTES: u64 = 384 * 1024 * 1024;
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

fn limits() -> Limits {
    let mut l = Limits::default();
    l.max_image_width = Some(MAX_SIDE);
    l.max_image_height = Some(MAX_SIDE);
    l.max_alloc = Some(MAX_DECODE_BYTES);
    l
}

/// Checks and reads an uploaded photo; the error is a message for the user.
pub fn process(bytes: &[u8]) -> Result<Processed, String> {
    process_reader(Cursor::new(bytes))
}

/// The same for a photo spooled to a file.
pub fn process_file(path: &std::path::Path) -> Result<Processed, String> {
    let file =
        std::fs::File::open(path).map_err(|_| "That photo could not be read.".to_string())?;
    process_reader(std::io::BufReader::new(file))
}

fn too_big(width: u32, height: u32) -> String {
    format!(
        "That photo is {width} x {height} pixels ({:.0} megapixels); photos can have at most {} megapixels. Take it at your camera's normal resolution.",
        f64::from(width) * f64::from(height) / 1e6,
        MAX_PIXELS / 1_000_000
    )
}

fn process_reader<R: BufRead + Seek>(mut input: R) -> Result<Processed, String> {
    let mut head = [0u8; 16];
    let n = input
        .read(&mut head)
        .map_err(|_| "That photo could not be read.".to_string())?;
    let content_type = super::routes::sniff_image(&head[..n])
        .ok_or("That file is not a JPEG, PNG or WebP photo. On an iPhone, choose \"Most Compatible\" under Settings → Camera → Formats.")?;
    let rewind = |input: &mut R| {
        input
            .seek(SeekFrom::Start(0))
            .map_err(|_| "That photo could not be read.".to_string())
    };
    rewind(&mut input)?;
    // The header first: a bomb is refused before anything is allocated.
    let (width, height) = ImageReader::new(&mut input)
        .with_guessed_format()
        .map_err(|_| "That photo could not be read.".to_string())?
        .into_dimensions()
        .map_err(|_| "That photo is damaged or in an unsupported format.".to_string())?;
    if u64::from(width) * u64::from(height) > MAX_PIXELS || width > MAX_SIDE || height > MAX_SIDE {
        return Err(too_big(width, height));
    }
    rewind(&mut input)?;
    let mut reader = ImageReader::new(&mut input)
        .with_guessed_format()
        .map_err(|_| "That photo could not be read.".to_string())?;
    reader.limits(limits());
    let img = reader.decode().map_err(|e| match e {
        image::ImageError::Limits(_) => too_big(width, height),
        _ => "That photo is damaged or in an unsupported format.".to_string(),
    })?;
    rewind(&mut input)?;
    let exif = exif::Reader::new().read_from_container(&mut input).ok();
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
    fn a_decompression_bomb_is_refused_from_its_header() {
        // 11,000 x 11,000 solid colour: about 100 KB as a PNG, 363 MB decoded.
        let bomb = png(11_000, 11_000);
        assert!(bomb.len() < 2 * 1024 * 1024, "{}", bomb.len());
        let e = process(&bomb).unwrap_err();
        assert!(e.contains("11000 x 11000 pixels (121 megapixels)"), "{e}");
        assert!(e.contains("at most 64 megapixels"), "{e}");
    }

    #[test]
    fn a_48_megapixel_phone_photo_is_accepted() {
        let mut out = Vec::new();
        let img = image::RgbImage::from_pixel(8064, 6048, image::Rgb([90, 140, 70]));
        JpegEncoder::new_with_quality(&mut out, 70)
            .encode_image(&DynamicImage::ImageRgb8(img))
            .unwrap();
        let p = process(&out).unwrap();
        assert_eq!((p.width, p.height), (8064, 6048));
        assert_eq!(p.content_type, "image/jpeg");
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
