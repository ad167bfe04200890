//! `magsync simulator`: runs the eMAG Marketplace API simulator until Ctrl-C / SIGTERM.

use crate::error::Failure;
use crate::sim::{self, FaultKind, Platform, ShapeVariant, SimAccount, SimConfig};
use std::net::SocketAddr;

#[derive(Debug, clap::Args)]
#[command(
    about = "Run the eMAG Marketplace API simulator (a real HTTP server on loopback)",
    long_about = "Run the eMAG Marketplace API simulator: a real HTTP server that behaves like \
eMAG's `api-3` (Basic auth, 3 req/s and 180 req/min per account, string decimals, pagination \
that shifts under churn, injectable faults). The catalogue is generated from --seed, so the same \
seed always serves byte-identical responses.\n\n\
Default accounts: main=1274 and fbe=1271 offers; each account's username is its name and its \
password is `demo` unless given (these are demo credentials, never real ones). Point a client at \
http://ADDR/api-3. Inspection routes (no auth, loopback only): GET /__admin/catalogue?account=NAME, \
GET /__admin/stats, POST /__admin/mutate?account=NAME&count=K, POST /__admin/reset, \
POST /__admin/faults.",
    after_help = "Examples:\n  magsync simulator\n  magsync simulator --account main=5000 --account \
fbe=2000:fbeuser:secret --rps 0\n  magsync simulator --fault-rate 0.05 --faults 500,502html,hang \
--churn-rate 0.02 --latency-ms 150"
)]
pub struct Args {
    /// Address to listen on (use port 0 for an ephemeral port).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8099")]
    pub listen: String,

    /// An account as NAME=OFFERS or NAME=OFFERS:USER:PASSWORD; repeat for several. The name
    /// `fbe` makes an FBE account. Default: main=1274 and fbe=1271.
    #[arg(long = "account", value_name = "NAME=OFFERS[:USER:PASSWORD]")]
    pub accounts: Vec<String>,

    /// Catalogue seed; the same seed gives byte-identical responses.
    #[arg(long, value_name = "N", default_value_t = 42)]
    pub seed: u64,

    /// Requests per rolling second per account (0 disables rate limiting).
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub rps: u32,

    /// Requests per rolling minute per account (0 disables the minute window).
    #[arg(long, value_name = "N", default_value_t = 180)]
    pub rpm: u32,

    /// Delay added to every API answer, in milliseconds (about 150 feels like eMAG).
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub latency_ms: u64,

    /// Probability (0..1) that a read or count request gets a fault.
    #[arg(long, value_name = "P", default_value = "0.0")]
    pub fault_rate: String,

    /// Comma-separated fault kinds: 500, 502html, 503, 504, hang, malformed, iserror,
    /// missingiserror, 429 (default: 500,502html,504,hang,malformed,iserror,429).
    #[arg(long, value_name = "LIST")]
    pub faults: Option<String>,

    /// Seed of the fault and churn draws.
    #[arg(long, value_name = "N", default_value_t = 7)]
    pub fault_seed: u64,

    /// Probability (0..1) per read or count request that the catalogue changes first.
    #[arg(long, value_name = "P", default_value = "0.0")]
    pub churn_rate: String,

    /// Share (0..1) of MAIN offers locked in the campaign `BF` (stock and price changes refused;
    /// the locked ids are listed by /__admin/stats).
    #[arg(long, value_name = "P", default_value = "0.0")]
    pub campaign_rate: String,

    /// Share (0..1) of each account's offers whose competition (best competing price, number of
    /// offers, buy-button rank) moves before each offer read; seeded, so runs repeat.
    #[arg(long, value_name = "P", default_value = "0.0")]
    pub competition_rate: String,

    /// Seed of the moving market (with --competition-rate).
    #[arg(long, value_name = "N", default_value_t = 11)]
    pub competition_seed: u64,

    /// Offer shape of every account: a (observed, default), b (documented) or mixed.
    #[arg(long, value_name = "SHAPE", default_value = "a")]
    pub variant: String,

    /// Platform of every account: ro (RON, default), bg (EUR, Bulgaria's currency since
    /// 2026), bg-bgn (a Bulgarian catalogue still in leva; see /__admin/currency) or hu (HUF).
    #[arg(long, value_name = "PLATFORM", default_value = "ro")]
    pub platform: String,
}

fn usage(message: String) -> anyhow::Error {
    Failure::usage(message).into()
}

fn probability(flag: &str, text: &str) -> anyhow::Result<f64> {
    match text.trim().parse::<f64>() {
        Ok(p) if (0.0..=1.0).contains(&p) => Ok(p),
        _ => Err(usage(format!(
            "{flag} must be a number between 0 and 1, not `{text}`"
        ))),
    }
}

/// Parses `NAME=OFFERS[:USER:PASSWORD]`.
pub fn parse_account(spec: &str) -> anyhow::Result<SimAccount> {
    let bad = || {
        usage(format!(
            "--account `{spec}` must look like NAME=OFFERS or NAME=OFFERS:USER:PASSWORD"
        ))
    };
    let (name, rest) = spec.split_once('=').ok_or_else(bad)?;
    let parts: Vec<&str> = rest.splitn(3, ':').collect();
    if name.trim().is_empty() || !(parts.len() == 1 || parts.len() == 3) {
        return Err(bad());
    }
    let offers: u64 = parts[0].trim().parse().map_err(|_| bad())?;
    let mut account = SimAccount::new(name.trim(), offers);
    if parts.len() == 3 {
        if parts[1].is_empty() {
            return Err(bad());
        }
        account.username = parts[1].to_string();
        account.password = parts[2].to_string();
    }
    Ok(account)
}

/// Turns the command line into a configuration and a listen address.
pub fn config(args: &Args) -> anyhow::Result<(SimConfig, SocketAddr)> {
    let listen: SocketAddr = args.listen.parse().map_err(|_| {
        usage(format!(
            "--listen `{}` is not an address like 127.0.0.1:8099",
            args.listen
        ))
    })?;
    let mut config = SimConfig {
        seed: args.seed,
        rps: args.rps,
        rpm: args.rpm,
        latency_ms: args.latency_ms,
        fault_rate: probability("--fault-rate", &args.fault_rate)?,
        fault_seed: args.fault_seed,
        churn_rate: probability("--churn-rate", &args.churn_rate)?,
        campaign_rate: probability("--campaign-rate", &args.campaign_rate)?,
        competition_rate: probability("--competition-rate", &args.competition_rate)?,
        competition_seed: args.competition_seed,
        ..SimConfig::default()
    };
    if let Some(list) = &args.faults {
        config.faults = list
            .split(',')
            .filter(|s| !s.trim().is_empty())
            .map(|s| s.parse::<FaultKind>().map_err(usage))
            .collect::<Result<_, _>>()?;
    }
    if !args.accounts.is_empty() {
        config.accounts = args
            .accounts
            .iter()
            .map(|s| parse_account(s))
            .collect::<Result<_, _>>()?;
    }
    let variant = match args.variant.to_ascii_lowercase().as_str() {
        "a" => ShapeVariant::A,
        "b" => ShapeVariant::B,
        "mixed" => ShapeVariant::Mixed,
        other => {
            return Err(usage(format!(
                "--variant must be a, b or mixed, not `{other}`"
            )));
        }
    };
    let platform = match args.platform.to_ascii_lowercase().as_str() {
        "ro" => Platform::Ro,
        "bg" => Platform::Bg,
        "bg-bgn" => {
            config.bg_in_bgn = true;
            Platform::Bg
        }
        "hu" => Platform::Hu,
        other => {
            return Err(usage(format!(
                "--platform must be ro, bg, bg-bgn or hu, not `{other}`"
            )));
        }
    };
    for a in &mut config.accounts {
        a.variant = variant;
        a.platform = platform;
    }
    for (i, a) in config.accounts.iter().enumerate() {
        if config.accounts[..i]
            .iter()
            .any(|b| b.name == a.name || b.username == a.username)
        {
            return Err(usage(format!(
                "account `{}` is given twice (same name or username)",
                a.name
            )));
        }
        if a.name == "total" {
            return Err(usage(
                "`total` cannot be an account name (the stats use it)".into(),
            ));
        }
    }
    Ok((config, listen))
}

pub async fn run(args: Args) -> anyhow::Result<u8> {
    let (config, listen) = config(&args)?;
    let handle = sim::start(config, listen).await?;
    // The address is a courtesy; a closed or full stdout must not stop the server.
    let _ = super::output::write_stdout(format_args!(
        "magsync simulator listening on {}\n",
        handle.base_url()
    ));
    wait_for_stop().await;
    handle.shutdown().await;
    Ok(0)
}

async fn wait_for_stop() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
