//! Assignment sheets as Excel saves them: CSV in GBK (Excel on Chinese Windows) with Chinese
//! headers and duty names, and XLSX with the grid code as a number and the start as a date cell.

use gridhub_e2e::*;
use gridhub_store::Role;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
use serde_json::Value;

on_both_backends!(a_gbk_sheet_with_chinese_headers_imports, an_xlsx_sheet_imports);

async fn send(app: &TestApp, token: &str, street: &str, body: Vec<u8>, dry_run: bool) -> Response {
    let query = if dry_run { "?dry_run=true" } else { "" };
    app.client
        .post(app.url(&format!("/api/v1/streets/{street}/assignments/import{query}")))
        .bearer_auth(token)
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn code(app: &TestApp, token: &str, cell: &str) -> String {
    get_ok(app, token, &format!("/api/v1/cells/{cell}")).await["code"].as_str().unwrap().to_owned()
}

/// (duty, building, starts_at) of each person now assigned to `cell`, sorted.
async fn held(app: &TestApp, token: &str, cell: &str) -> Vec<(String, Value, String)> {
    let items = get_ok(app, token, &format!("/api/v1/cells/{cell}/assignments")).await;
    let mut v: Vec<_> = items["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (a["duty"].as_str().unwrap().to_owned(), a["building"].clone(), a["starts_at"].as_str().unwrap().to_owned())
        })
        .collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

async fn a_gbk_sheet_with_chinese_headers_imports(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let mut s = Fixture::new(app, &w.admin).await;
    let community = s.r.community.clone();
    s.add(app, "zhang", Role::GridWorker, Some(&community));
    let office = s.t("office").to_owned();
    let (c0, c1) = (code(app, &office, s.cell(0)).await, code(app, &office, s.cell(1)).await);
    let sheet = format!(
        "网格编码,人员,职责,楼栋,开始日期\r\n{c0},worker,网格长,,2026-03-01\r\n{c0},zhang,专职网格员,,\r\n{c1},resident,楼栋长,3栋,\r\n"
    );
    let (gbk, _, lossy) = encoding_rs::GBK.encode(&sheet);
    assert!(!lossy && std::str::from_utf8(&gbk).is_err(), "the sheet is GBK, as Excel on Chinese Windows saves it");

    let dry = json(send(app, &office, &s.r.street, gbk.to_vec(), true).await).await;
    assert_eq!((dry["dry_run"].as_bool(), dry["assigned"].as_u64()), (Some(true), Some(3)), "{dry}");
    assert!(held(app, &office, s.cell(0)).await.is_empty(), "a dry run changes nothing");

    let done = json(send(app, &office, &s.r.street, gbk.to_vec(), false).await).await;
    assert_eq!(done["assigned"], 3, "{done}");
    let c0_held = held(app, &office, s.cell(0)).await;
    assert_eq!(c0_held.iter().map(|h| h.0.as_str()).collect::<Vec<_>>(), ["full_time_worker", "grid_leader"]);
    assert_eq!(c0_held[1].2, "2026-02-28T16:00:00.000000Z", "开始日期 is midnight in China");
    assert_eq!(held(app, &office, s.cell(1)).await[0].1, "3栋");

    // a duty no office writes is named, in Chinese by default
    let bad = format!("网格编码,人员,职责\n{c1},zhang,大队长\n");
    let (gbk, _, _) = encoding_rs::GBK.encode(&bad);
    let res = app
        .client
        .post(app.url(&format!("/api/v1/streets/{}/assignments/import", s.r.street)))
        .bearer_auth(&office)
        .header("accept-language", "zh-CN")
        .body(gbk.to_vec())
        .send()
        .await
        .unwrap();
    let p = problem(res, 422).await;
    assert_eq!(fields(&p), ["lines[2].duty"]);
    let said = p["errors"][0]["detail"].as_str().unwrap();
    assert!(said.starts_with("大队长 不是职责") && said.contains("网格长"), "{said}");
    // bytes that are neither UTF-8 nor GBK, nor a workbook
    let p = problem(send(app, &office, &s.r.street, vec![0xff, 0xfe, 0x00, 0x81], false).await, 422).await;
    assert_eq!(fields(&p), ["body"]);
}

async fn an_xlsx_sheet_imports(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let s = Fixture::new(app, &w.admin).await;
    let office = s.t("office").to_owned();
    let c2 = code(app, &office, s.cell(2)).await;
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    for (i, h) in ["网格编码", "人员", "职责", "开始日期"].iter().enumerate() {
        sheet.write_string(0, i as u16, *h).unwrap();
    }
    // Excel keeps a 14-digit code typed in as a number, and a date as a date
    sheet.write_number(1, 0, c2.parse::<f64>().unwrap()).unwrap();
    sheet.write_string(1, 1, "worker").unwrap();
    sheet.write_string(1, 2, "兼职网格员").unwrap();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    sheet.write_datetime_with_format(1, 3, ExcelDateTime::from_ymd(2026, 4, 1).unwrap(), &date).unwrap();
    sheet.write_string(2, 0, &c2).unwrap();
    sheet.write_string(2, 1, "volunteer").unwrap();
    sheet.write_string(2, 2, "volunteer").unwrap();
    let bytes = book.save_to_buffer().unwrap();

    let dry = json(send(app, &office, &s.r.street, bytes.clone(), true).await).await;
    assert_eq!(dry["assigned"], 2, "{dry}");
    let done = json(send(app, &office, &s.r.street, bytes, false).await).await;
    assert_eq!(done["assigned"], 2, "{done}");
    let h = held(app, &office, s.cell(2)).await;
    assert_eq!(h.iter().map(|h| h.0.as_str()).collect::<Vec<_>>(), ["part_time_worker", "volunteer"]);
    assert_eq!(h[0].2, "2026-03-31T16:00:00.000000Z", "a date cell is that day in China");

    // a problem is named by the row Excel shows
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    for (i, h) in ["网格编码", "人员", "职责"].iter().enumerate() {
        sheet.write_string(0, i as u16, *h).unwrap();
    }
    sheet.write_string(1, 0, &c2).unwrap();
    sheet.write_string(1, 1, "nobody").unwrap();
    sheet.write_string(1, 2, "志愿者").unwrap();
    let p = problem(send(app, &office, &s.r.street, book.save_to_buffer().unwrap(), false).await, 422).await;
    assert_eq!(fields(&p), ["lines[2].user"]);
}
