//! Lists as offices open them: a case list (the same selection as the JSON, every page of it)
//! as CSV that Excel opens — UTF-8 with a byte-order mark, Chinese headers, one row per case —
//! and as XLSX, read back here with calamine; the figures, rankings, staffing and the audit log
//! the same way.

use calamine::{Data, Reader, Xlsx};
use gridhub_e2e::*;

use super::{get_as, report};

on_both_backends!(a_case_list_exports_as_excel_opens_it, the_desk_exports_its_tables);

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A CSV answer: its rows (the header first), after checking it is what Excel opens as Unicode.
async fn csv_rows(res: Response) -> Vec<Vec<String>> {
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    let disposition = res.headers()["content-disposition"].to_str().unwrap().to_owned();
    assert!(disposition.starts_with("attachment;") && disposition.contains("filename*=UTF-8''"), "{disposition}");
    let bytes = res.bytes().await.unwrap();
    assert!(bytes.starts_with("\u{feff}".as_bytes()), "a byte-order mark, so that Excel reads UTF-8");
    let mut r = csv::ReaderBuilder::new().has_headers(false).from_reader(&bytes[3..]);
    r.records().map(|rec| rec.unwrap().iter().map(str::to_owned).collect()).collect()
}

/// An XLSX answer: its first sheet's name and rows.
async fn xlsx_rows(res: Response) -> (String, Vec<Vec<Data>>) {
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], XLSX);
    let bytes = res.bytes().await.unwrap().to_vec();
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).expect("an XLSX workbook");
    let name = book.sheet_names()[0].clone();
    let range = book.worksheet_range(&name).unwrap();
    (name, range.rows().map(|r| r.to_vec()).collect())
}

fn column(header: &[String], name: &str) -> usize {
    header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name} in {header:?}"))
}

async fn a_case_list_exports_as_excel_opens_it(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let s = Fixture::new(app, &w.admin).await;
    let office = s.t("office");
    let a = report(app, &s, 0, "雨水井盖缺失", "路口的井盖不见了，有人险些踩空", "八一大道 12 号").await;
    let b = report(app, &s, 2, "路面积水", "下雨后井盖周边积水", "=HYPERLINK(\"x\")").await;
    report(app, &s, 1, "路灯不亮", "夜间一片漆黑", "井冈山大道 3 号").await;

    let rows = csv_rows(get_as(app, office, "/api/v1/cases?q=%E4%BA%95%E7%9B%96&format=csv", "*/*").await).await;
    let (header, cases) = rows.split_first().unwrap();
    assert_eq!(&header[..5], ["案件编号", "标题", "类别", "类别编码", "状态"]);
    assert_eq!(cases.len(), 2, "one row per case of the selection: {rows:?}");
    let ids: Vec<&str> = cases.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(ids, [b.as_str(), a.as_str()], "in the list's order");
    assert_eq!(cases[1][column(header, "标题")], "雨水井盖缺失");
    assert_eq!(cases[1][column(header, "状态")], "待立案");
    assert_eq!(cases[1][column(header, "类别")], "雨水井盖");
    assert_eq!(cases[1][column(header, "来源")], "网格员上报");
    assert_eq!(cases[1][column(header, "描述")], "路口的井盖不见了，有人险些踩空");
    assert_eq!(cases[0][column(header, "地址")], "'=HYPERLINK(\"x\")", "a formula is shown as text, never run");
    let reported = &cases[1][column(header, "上报时间")];
    assert_eq!(reported.len(), "2026-11-27 08:00:00".len(), "a time as Excel reads one: {reported}");

    // every page: the export is the whole selection, not the page the limit asks for
    let all = csv_rows(get_as(app, office, "/api/v1/cases?format=csv&limit=1", "*/*").await).await;
    assert_eq!(all.len(), 4, "a header and three cases");
    // by the Accept header, as XLSX; English headers on request
    let (sheet, rows) = xlsx_rows(get_as(app, office, "/api/v1/cases?sort=deadline_at", XLSX).await).await;
    assert_eq!(sheet, "案件列表");
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[0][1], Data::String("标题".into()));
    assert!(rows[1..].iter().any(|r| r[1] == Data::String("路灯不亮".into())));
    let reported = rows[0].iter().position(|h| *h == Data::String("上报时间".into())).unwrap();
    assert!(
        matches!(rows[1][reported], Data::DateTime(_)),
        "a time is a date cell Excel can sort: {:?}",
        rows[1][reported]
    );
    let en = app
        .client
        .get(app.url("/api/v1/cases?format=csv"))
        .bearer_auth(office)
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    assert_eq!(&csv_rows(en).await[0][..3], ["id", "title", "category"]);
    // a resident's export holds their own cases only, as their list does
    let mine = csv_rows(get_as(app, s.t("resident"), "/api/v1/cases?format=csv", "*/*").await).await;
    assert_eq!(mine.len(), 1, "the header alone");
    assert_eq!(fields(&problem(get_as(app, office, "/api/v1/cases?format=pdf", "*/*").await, 400).await), ["format"]);
}

async fn the_desk_exports_its_tables(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let s = Fixture::new(app, &w.admin).await;
    report(app, &s, 0, "雨水井盖缺失", "路口的井盖不见了", "八一大道 12 号").await;
    let office = s.t("office");

    let (sheet, rows) = xlsx_rows(get_as(app, office, "/api/v1/figures?unit=street&format=xlsx", "*/*").await).await;
    assert_eq!(sheet, "绩效指标");
    assert_eq!(rows.len(), 2, "a header and the office's street");
    let header: Vec<String> = rows[0].iter().map(|d| d.to_string()).collect();
    assert_eq!(rows[1][0], Data::String("公园街道".into()));
    assert_eq!(rows[1][column(&header, "上报数")], Data::Float(1.0));
    assert!(header.contains(&"结案率(%)".to_owned()), "{header:?}");

    let ranked = csv_rows(get_as(app, s.t("donghu"), "/api/v1/rankings?unit=street&format=csv", "*/*").await).await;
    assert_eq!(&ranked[0][..4], ["名次", "单位", "编码", "得分"]);
    assert_eq!(ranked.len(), 3, "both streets of the district: {ranked:?}");

    let staffing =
        csv_rows(get_as(app, office, &format!("/api/v1/streets/{}/staffing", s.r.street), "text/csv").await).await;
    assert_eq!(&staffing[0][..4], ["网格编码", "网格名称", "户数", "网格长"]);
    assert_eq!(staffing.len(), 1 + s.cells.len(), "one row per grid of the street");

    let (sheet, audit) = xlsx_rows(get_as(app, &w.admin, "/api/v1/audit?format=xlsx", "*/*").await).await;
    assert_eq!(sheet, "审计日志");
    assert!(audit.len() > 5, "the district, streets, communities and people made: {}", audit.len());
    problem(app.get(Some(s.t("worker")), "/api/v1/audit?format=csv").await, 403).await;
}
