//! `magsync simulator` (to be written by the simulator work).

#[derive(Debug, clap::Args)]
pub struct Args {}

pub async fn run(_args: Args) -> anyhow::Result<u8> {
    Err(crate::error::Failure::usage("the simulator is not built yet").into())
}
