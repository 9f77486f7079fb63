//! The menu on every page: the dashboard pages (in their files' order), then the pages
//! listed here. A page joins the menu with one line in `MENU`. On a phone the menu folds
//! into a button (details/summary, no JavaScript); on a wider screen it is always open.

use maud::{Markup, html};

use super::AppState;
use crate::auth::Principal;
use crate::domain::Role;
use crate::locale::Lang;

/// One entry: the page's path, its name in Vietnamese and in English, and who sees it.
struct MenuEntry {
    path: &'static str,
    vi: &'static str,
    en: &'static str,
    admin_only: bool,
}

const fn everyone(path: &'static str, vi: &'static str, en: &'static str) -> MenuEntry {
    MenuEntry { path, vi, en, admin_only: false }
}

const fn admins(path: &'static str, vi: &'static str, en: &'static str) -> MenuEntry {
    MenuEntry { path, vi, en, admin_only: true }
}

/// The pages after the dashboards, in the menu's order.
const MENU: &[MenuEntry] = &[
    everyone("/entry", "Nhập số liệu", "Enter readings"),
    everyone("/documents", "Văn bản điện tử", "Electronic documents"),
    everyone("/plan", "Mốc và mục tiêu", "Baselines and targets"),
    everyone("/scores", "Chấm điểm", "Scores"),
    everyone("/reports", "Báo cáo", "Reports"),
    everyone("/offices", "Các văn phòng", "Offices"),
    everyone("/rejected", "Số liệu bị từ chối", "Rejected readings"),
    everyone("/alerts", "Cảnh báo", "Alerts"),
    everyone("/start", "Bắt đầu", "Getting started"),
    admins("/admin/meters", "Quản lý công tơ", "Manage meters"),
    admins("/admin/devices", "Thiết bị mới", "New devices"),
    admins("/admin/departments", "Quản lý phòng, ban", "Manage departments"),
    admins("/admin/tariffs", "Giá điện, nước, giấy", "Prices"),
    admins("/admin/calendar", "Lịch làm việc", "Working calendar"),
    admins("/admin/supply-prices", "Giá và định mức vật tư", "Supply prices and norms"),
    admins("/admin/emission-factors", "Hệ số phát thải", "Emission factors"),
    admins("/admin/users", "Người dùng", "Users"),
    admins("/admin/audit", "Nhật ký", "Audit log"),
    admins("/admin/recipients", "Người nhận cảnh báo", "Alert recipients"),
];

/// The menu for the page at `path`, as `who` may see it.
pub(super) fn menu(state: &AppState, lang: Lang, path: &str, who: Option<&Principal>) -> Markup {
    let code = lang.code();
    let admin = who.is_some_and(|p| p.role() == Role::Admin);
    let dashboards = state.dashboards.pages.iter().filter(|p| p.nav.is_some()).map(|p| {
        let name = match lang {
            Lang::Vi => p.title.vi.as_str(),
            Lang::En => p.title.en.as_str(),
        };
        (p.path.as_str(), name)
    });
    let others = MENU.iter().filter(|e| admin || !e.admin_only).map(|e| (e.path, lang.pick(e.vi, e.en)));
    let entries: Vec<(&str, &str)> = dashboards.chain(others).collect();
    let current = entries.iter().find(|(p, _)| *p == path).map(|(_, name)| *name);
    html! {
        details.menu {
            summary {
                span.menu-icon aria-hidden="true" { "☰" }
                " " (lang.pick("Danh mục", "Menu"))
                @if let Some(current) = current { span.menu-current { " · " (current) } }
            }
            nav {
                @for (target, name) in &entries {
                    a href=(format!("{target}?lang={code}")) aria-current=[(*target == path).then_some("page")] { (name) }
                }
            }
        }
    }
}
