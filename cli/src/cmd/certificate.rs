use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use certificate::issue::{self, IssueRequest};
use runtime::audit::{AuditAction, AuditEvent};
use runtime::model::RequesterKubun;

/// Issue a certificate as PDF (batch and postal work); recorded and audited like a window
/// issuance.
#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("target").required(true).args(["koseki", "person", "image"])))]
pub struct Args {
    /// The store.
    #[arg(long)]
    db: PathBuf,
    /// The 戸籍's id.
    #[arg(long)]
    koseki: Option<i64>,
    /// A person's id (個人事項; for zenbu/fuhyo it selects the person's 戸籍).
    #[arg(long)]
    person: Option<i64>,
    /// An image register's id (kind image).
    #[arg(long)]
    image: Option<i64>,
    /// zenbu (全部事項), kojin (個人事項), ichibu (一部事項), fuhyo (附票の写し), image (画像の謄本).
    #[arg(long, value_parser = ["zenbu", "kojin", "ichibu", "fuhyo", "image"])]
    kind: String,
    /// ichibu: a member to certify, by person id (repeat for more; --person counts too).
    /// Without any, the members that have a chosen 身分事項 are certified.
    #[arg(long = "member", value_name = "ID")]
    members: Vec<i64>,
    /// ichibu: the 事項 to certify by title, e.g. 婚姻 or 戸籍改製 (repeatable).
    #[arg(long = "jiko", value_name = "TITLE")]
    jiko_titles: Vec<String>,
    /// ichibu: a 事項 to certify by id (repeatable).
    #[arg(long = "jiko-id", value_name = "ID")]
    jiko_ids: Vec<i64>,
    /// Where to write the PDF.
    #[arg(long)]
    out: PathBuf,
    /// The store's key file (or KOSEKI_KEY_FILE).
    #[arg(long)]
    key_file: Option<PathBuf>,
    /// 請求者区分: 本人等, 第三者, 職務上, 公用.
    #[arg(long, default_value = "本人等")]
    kubun: String,
    /// 請求者 氏名 / 機関名.
    #[arg(long, default_value = "")]
    requester: String,
    /// 手数料 in yen (default: the standard fee for the kind).
    #[arg(long)]
    fee: Option<u32>,
    /// Channel recorded with the issuance.
    #[arg(long, default_value = "postal")]
    channel: String,
    /// 附票: print 本籍・筆頭者.
    #[arg(long)]
    show_koseki_hyoji: bool,
    /// 附票: print 住民票コード.
    #[arg(long)]
    show_juminhyo_code: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let key = runtime::Key::resolve(args.key_file.as_deref())?;
    let store = runtime::Store::open(&args.db, &key)?;
    let kind = certificate::CertificateKind::from_code(&args.kind).context("unknown --kind")?;
    if kind == certificate::CertificateKind::Kojin && args.person.is_none() {
        anyhow::bail!("--kind kojin needs --person ID");
    }
    if kind == certificate::CertificateKind::ImageCopy && args.image.is_none() {
        anyhow::bail!("--kind image needs --image ID");
    }
    let selection = issue::JikoSelection {
        persons: args
            .person
            .into_iter()
            .chain(args.members.clone())
            .collect(),
        jiko_ids: args.jiko_ids.clone(),
        jiko_titles: args.jiko_titles.clone(),
    };
    if kind == certificate::CertificateKind::Ichibu && selection.is_empty() {
        anyhow::bail!(
            "--kind ichibu needs what to certify: --person/--member ID, --jiko TITLE or --jiko-id ID"
        );
    }
    if kind != certificate::CertificateKind::Ichibu
        && !(args.members.is_empty() && args.jiko_titles.is_empty() && args.jiko_ids.is_empty())
    {
        anyhow::bail!("--member, --jiko and --jiko-id go with --kind ichibu");
    }
    let requester_kubun = RequesterKubun::from_label(&args.kubun).with_context(|| {
        format!(
            "--kubun {:?}: use 本人等, 第三者, 職務上 or 公用",
            args.kubun
        )
    })?;
    let req = IssueRequest {
        kind,
        koseki_id: args.koseki,
        person_id: args.person,
        image_register_id: args.image,
        requester_kubun,
        requester_name: args.requester.clone(),
        fee_yen: args.fee,
        channel: args.channel.clone(),
        fuhyo_options: certificate::view::FuhyoOptions {
            show_koseki_hyoji: args.show_koseki_hyoji,
            show_juminhyo_code: args.show_juminhyo_code,
        },
        selection,
    };
    let font = certificate::CertFont::ipamj()?;
    let user = format!(
        "cli:{}",
        std::env::var("USER").unwrap_or_else(|_| "unknown".into())
    );
    let terminal = std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "cli".into());
    let out = store.atomically(|s| {
        let out = issue::issue(s, &font, &req, &user, &terminal)
            .map_err(|e| runtime::StoreError::Invalid(e.to_string()))?;
        let target = match (args.koseki, args.person, args.image) {
            (_, _, Some(i)) => format!("image:{i}"),
            (_, Some(p), _) => format!("person:{p}"),
            (Some(k), _, _) => format!("koseki:{k}"),
            _ => String::new(),
        };
        s.audit(&AuditEvent {
            user: &user,
            terminal: &terminal,
            action: AuditAction::Issue,
            target: &target,
            detail: serde_json::json!({
                "hakko_no": out.record.hakko_no,
                "kind": kind.code(),
                "kubun": requester_kubun.label(),
                "requester": args.requester,
                "fee_yen": out.record.request.fee_yen,
                "channel": args.channel,
                "pdf_sha256": out.record.pdf_sha256,
                "selection": (kind == certificate::CertificateKind::Ichibu).then_some(&req.selection),
            }),
        })?;
        Ok(out)
    })?;
    std::fs::write(&args.out, &out.pdf)
        .with_context(|| format!("writing {}", args.out.display()))?;
    println!(
        "{}",
        serde_json::json!({"hakko_no": out.record.hakko_no, "kind": kind.code(), "fee_yen": out.record.request.fee_yen, "pages": out.text.pages.len(), "out": args.out})
    );
    Ok(ExitCode::SUCCESS)
}
