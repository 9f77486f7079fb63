//! Quản trị › Giá điện, the form for an electricity price the bill gives by time of use (giờ
//! bình thường / cao điểm / thấp điểm, hours for Monday–Saturday and for Sunday) or in monthly
//! blocks (bậc thang): prices and hours entered as simple rows, copied from the bill or EVN's
//! notice. Nothing of EVN's is filled in: the Ministry revises it.

use axum::extract::{Query, State};
use axum::response::Redirect;
use maud::{Markup, html};

use super::super::{back_to, csrf_field};
use super::tariffs::PageParams;
use crate::auth::Principal;
use crate::config::Tariff;
use crate::domain::PriceScheme;
use crate::domain::electricity_price::{Band, Block, TimeOfUseSpec, Window};
use crate::ingest::manual::parse_number;
use crate::locale::{self, Lang};
use crate::web::auth::{Admin, CsrfForm};
use crate::web::commands::tariffs::{TariffBody, record};
use crate::web::{ApiError, AppState};

/// Rows offered for hour windows (EVN's notices have up to seven a day group) and for blocks.
const WINDOW_ROWS: usize = 10;
const BLOCK_ROWS: usize = 6;

const BANDS: [Band; 3] = [Band::Normal, Band::Peak, Band::OffPeak];

fn band_name(band: Band, lang: Lang) -> &'static str {
    match band {
        Band::Normal => lang.pick("Bình thường", "Normal"),
        Band::Peak => lang.pick("Cao điểm", "Peak"),
        Band::OffPeak => lang.pick("Thấp điểm", "Off-peak"),
    }
}

/// A scheme in a line, for the prices over time.
pub fn describe(tariff: &Tariff, lang: Lang) -> String {
    let vnd = |v: f64| locale::number(v, 0, lang);
    match tariff.scheme.parts() {
        (Some(t), _) => format!(
            "{}: {} {} / {} {} / {} {}",
            lang.pick("Theo giờ", "Time of use"),
            band_name(Band::Normal, lang),
            vnd(t.normal_vnd),
            band_name(Band::Peak, lang),
            vnd(t.peak_vnd),
            band_name(Band::OffPeak, lang),
            vnd(t.off_peak_vnd)
        ),
        (_, Some(blocks)) => {
            let steps: Vec<String> = blocks
                .iter()
                .map(|b| match b.up_to_kwh {
                    Some(up_to) => format!("≤ {} kWh: {}", locale::number(up_to, 0, lang), vnd(b.price_vnd)),
                    None => format!("{}: {}", lang.pick("còn lại", "above"), vnd(b.price_vnd)),
                })
                .collect();
            format!("{}: {}", lang.pick("Bậc thang theo tháng", "Monthly blocks"), steps.join("; "))
        }
        (None, None) => String::new(),
    }
}

/// The form, on the prices' page.
pub fn tiers_section(principal: &Principal, lang: Lang, today: jiff::civil::Date) -> Markup {
    html! {
        section {
            h2 { (lang.pick("Giá điện theo giờ hoặc bậc thang", "Electricity by time of use or in blocks")) }
            p { (lang.pick(
                "Chép giá và khung giờ từ hóa đơn hoặc thông báo của điện lực. Khung giờ theo nửa giờ (09:30), phủ kín 24 giờ, riêng cho thứ Hai–thứ Bảy và Chủ nhật; khung qua nửa đêm viết như 22:00–04:00. Bậc thang: giới hạn kWh mỗi tháng tăng dần, bậc cuối để trống giới hạn. Bỏ trống các dòng thừa.",
                "Copy the prices and hours from the bill or the supplier's notice. Windows are to the half hour (09:30), cover the 24 hours, separately for Monday–Saturday and Sunday; a window past midnight is written 22:00–04:00. Blocks: kWh bounds a month, increasing, the last left empty. Leave spare rows empty."
            )) }
            form.tiers method="post" action=(format!("/admin/tariffs/electricity?lang={}", lang.code())) {
                (csrf_field(principal))
                label { (lang.pick("Cách tính", "Pricing")) select name="kind" {
                    option value="time_of_use" { (lang.pick("Theo giờ (bình thường, cao điểm, thấp điểm)", "Time of use (normal, peak, off-peak)")) }
                    option value="blocks" { (lang.pick("Bậc thang theo tháng", "Monthly blocks")) }
                } }
                label { (lang.pick("Từ ngày", "From")) input name="from" required inputmode="numeric" placeholder="dd/mm/yyyy" value=(today.strftime("%d/%m/%Y")); }
                fieldset.time-of-use {
                    legend { (lang.pick("Giá theo giờ (đồng/kWh)", "Time-of-use prices (VND/kWh)")) }
                    div.tier-row {
                        @for band in BANDS {
                            label { (band_name(band, lang)) input name=(price_field(band)) inputmode="decimal"; }
                        }
                    }
                    @for row in 0..WINDOW_ROWS {
                        div.tier-row.window data-row=(row) {
                            label { (lang.pick("Ngày", "Days")) select name="w_days" {
                                option value="mon_sat" { (lang.pick("Thứ Hai–thứ Bảy", "Monday–Saturday")) }
                                option value="sun" { (lang.pick("Chủ nhật", "Sunday")) }
                            } }
                            label { (lang.pick("Từ giờ", "From")) input name="w_from" placeholder="22:00" inputmode="numeric"; }
                            label { (lang.pick("Đến giờ", "To")) input name="w_to" placeholder="04:00" inputmode="numeric"; }
                            label { (lang.pick("Khung", "Band")) select name="w_band" {
                                @for band in BANDS { option value=(band_value(band)) { (band_name(band, lang)) } }
                            } }
                        }
                    }
                }
                fieldset.blocks {
                    legend { (lang.pick("Bậc thang (mỗi tháng)", "Blocks (a month)")) }
                    @for row in 0..BLOCK_ROWS {
                        div.tier-row.block data-row=(row) {
                            label { (lang.pick("Đến (kWh)", "Up to (kWh)")) input name="b_up_to" inputmode="decimal"; }
                            label { (lang.pick("Giá (đồng/kWh)", "Price (VND/kWh)")) input name="b_price" inputmode="decimal"; }
                        }
                    }
                }
                label { (lang.pick("Ghi chú", "Note")) input name="note" placeholder=(lang.pick("Quyết định số…", "Decision no.…")); }
                button type="submit" { (lang.pick("Lưu giá điện", "Save the electricity price")) }
            }
        }
    }
}

fn price_field(band: Band) -> &'static str {
    match band {
        Band::Normal => "normal_vnd",
        Band::Peak => "peak_vnd",
        Band::OffPeak => "off_peak_vnd",
    }
}

fn band_value(band: Band) -> &'static str {
    match band {
        Band::Normal => "normal",
        Band::Peak => "peak",
        Band::OffPeak => "off_peak",
    }
}

/// The form's fields, repeated names in order.
struct Fields(Vec<(String, String)>);

impl Fields {
    fn one(&self, name: &str) -> &str {
        self.0.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.trim())
    }
    fn all(&self, name: &str) -> Vec<&str> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.trim()).collect()
    }
}

/// A price or bound typed as 1.811 or 1811,5; `Err` says which, in the page's language.
fn number(text: &str, what: &str, lang: Lang) -> Result<f64, String> {
    parse_number(text).map_err(|_| match lang {
        Lang::Vi => format!("{what}: `{text}` không phải là số: hãy viết như 1.811 hoặc 1811"),
        Lang::En => format!("{what}: `{text}` is not a number: write it as 1811"),
    })
}

fn time_of_use(fields: &Fields, lang: Lang) -> Result<TimeOfUseSpec, String> {
    let price = |band: Band| number(fields.one(price_field(band)), band_name(band, lang), lang);
    let (mut monday_saturday, mut sunday) = (Vec::new(), Vec::new());
    let (days, froms, tos, bands) =
        (fields.all("w_days"), fields.all("w_from"), fields.all("w_to"), fields.all("w_band"));
    for (((days, from), to), band) in days.iter().zip(froms).zip(tos).zip(bands) {
        if from.is_empty() && to.is_empty() {
            continue;
        }
        let band = BANDS.into_iter().find(|b| band_value(*b) == band).unwrap_or(Band::Normal);
        let window = Window { from: from.to_owned(), to: to.to_owned(), band };
        if *days == "sun" { sunday.push(window) } else { monday_saturday.push(window) }
    }
    Ok(TimeOfUseSpec {
        normal_vnd: price(Band::Normal)?,
        peak_vnd: price(Band::Peak)?,
        off_peak_vnd: price(Band::OffPeak)?,
        monday_saturday,
        sunday,
    })
}

fn blocks(fields: &Fields, lang: Lang) -> Result<Vec<Block>, String> {
    let mut blocks = Vec::new();
    for (up_to, price) in fields.all("b_up_to").into_iter().zip(fields.all("b_price")) {
        if up_to.is_empty() && price.is_empty() {
            continue;
        }
        let row = blocks.len() + 1;
        let what = format!("{} {row}", lang.pick("Bậc", "Block"));
        let up_to_kwh = if up_to.is_empty() { None } else { Some(number(up_to, &what, lang)?) };
        blocks.push(Block { up_to_kwh, price_vnd: number(price, &what, lang)? });
    }
    Ok(blocks)
}

pub async fn tiers_form(
    State(state): State<AppState>,
    admin: Admin,
    Query(params): Query<PageParams>,
    CsrfForm(fields): CsrfForm<Vec<(String, String)>>,
) -> Result<Redirect, ApiError> {
    let lang = Lang::from_query(params.lang.as_deref());
    let fields = Fields(fields);
    let not_saved = lang.pick("Chưa lưu", "Not saved");
    let scheme = match fields.one("kind") {
        "blocks" => blocks(&fields, lang).map(|b| (None, Some(b))),
        _ => time_of_use(&fields, lang).map(|t| (Some(t), None)),
    };
    let result = match scheme {
        Err(reason) => Err(format!("{not_saved}: {reason}")),
        Ok((time_of_use, blocks)) => {
            let body = TariffBody {
                resource: "electricity".into(),
                from: fields.one("from").to_owned(),
                price_vnd: serde_json::Value::Null,
                per: "kWh".into(),
                note: fields.one("note").to_owned(),
                time_of_use,
                blocks,
            };
            match record(&state, &admin, body).await {
                Ok(r) => {
                    let day = r.tariff.from.strftime("%d/%m/%Y");
                    let how = match r.tariff.scheme {
                        PriceScheme::Blocks(_) => lang.pick("bậc thang", "in blocks"),
                        _ => lang.pick("theo giờ", "by time of use"),
                    };
                    Ok(match lang {
                        Lang::Vi => format!("Đã lưu giá điện {how} từ {day}."),
                        Lang::En => format!("Saved the electricity price {how} from {day}."),
                    })
                }
                Err(e) => Err(format!("{not_saved}: {}", e.refusal(lang)?)),
            }
        }
    };
    Ok(back_to("/admin/tariffs", lang, result))
}
