//! `salonbox demo`: the seeded shop with simulated devices, the kiosk and the demo daemon.

#[cfg(not(feature = "kiosk"))]
use super::appointments::print_appointments;
use super::queue::print_queue;
use super::*;

/// The demo shows a shop at work: outside opening hours (and without `SALONBOX_NOW`) it
/// runs an hour after the next opening.
pub(super) fn demo_clock(config: &Config, clock: Arc<dyn Clock>) -> Arc<dyn Clock> {
    // The same story at any hour: the shop's business morning (today's when it opens today,
    // else the next day it does), half an hour after opening; time runs on from there, or
    // stands still under SALONBOX_NOW.
    let (now, tz) = (clock.now(), config.shop.time_zone);
    let today = crate::domain::time::business_date(now, tz);
    for day in (0..8).map(|d| today + chrono::Duration::days(d)) {
        if let Some(open) = config.shop.opening_hours.on(day, tz) {
            let story = open.start + chrono::Duration::minutes(30);
            return if std::env::var_os("SALONBOX_NOW").is_some() {
                Arc::new(FixedClock::new(story))
            } else {
                Arc::new(crate::clock::OffsetClock::starting_at(story))
            };
        }
    }
    clock
}

/// The demo's data directory, removed when the demo ends unless it is to be kept. Demo
/// directories left by runs that were killed (their process is gone) are removed at start.
struct DemoDir {
    path: PathBuf,
    keep: bool,
}

impl DemoDir {
    fn new(keep: bool) -> DemoDir {
        let tmp = std::env::temp_dir();
        if let Ok(entries) = std::fs::read_dir(&tmp) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                let Some(pid) = name.strip_prefix("salonbox-demo-").and_then(|r| r.split('-').next()) else { continue };
                let alive = Path::new("/proc").join(pid).exists();
                let kept = e.path().join(DEMO_KEEP_MARK).exists();
                if !alive && !kept && pid.parse::<u32>().is_ok() {
                    let _ = std::fs::remove_dir_all(e.path());
                }
            }
        }
        let path = tmp.join(format!("salonbox-demo-{}-{}", std::process::id(), Utc::now().timestamp()));
        DemoDir { path, keep }
    }
}

impl Drop for DemoDir {
    fn drop(&mut self) {
        if self.keep {
            let _ = std::fs::write(self.path.join(DEMO_KEEP_MARK), b"kept by salonbox demo --keep\n");
        } else if let Err(e) = std::fs::remove_dir_all(&self.path) {
            tracing::warn!(dir = %self.path.display(), error = %e, "demo directory not removed");
        }
    }
}

/// Marks a demo directory kept with `--keep` (never removed by a later demo).
const DEMO_KEEP_MARK: &str = ".kept";

#[cfg(feature = "kiosk")]
pub(super) fn kiosk(app: App, first_frame: Option<PathBuf>) -> Result<Outcome, CliError> {
    if let Some(png) = first_frame {
        crate::kiosk::headless::first_frame(app, &png).map_err(|e| CliError::Device(e.to_string()))?;
        return Ok(Outcome::Ok);
    }
    if !crate::kiosk::has_display() {
        return Err(CliError::Usage(msg::no_display()));
    }
    crate::kiosk::run(app).map_err(|e| CliError::Device(e.to_string()))?;
    Ok(Outcome::Ok)
}

#[cfg(not(feature = "kiosk"))]
pub(super) fn kiosk(_app: App, _first_frame: Option<PathBuf>) -> Result<Outcome, CliError> {
    Err(CliError::Usage(msg::no_kiosk_feature()))
}

pub(super) fn demo(
    config: Config,
    clock: Arc<dyn Clock>,
    customers: usize,
    headless: bool,
    out: Option<PathBuf>,
    keep: bool,
) -> Result<Outcome, CliError> {
    let demo_dir = DemoDir::new(keep);
    let dir = demo_dir.path.clone();
    let config = demo_config(config);
    crate::app::init(&config, &dir)?;
    let mut app = App::open(config, &dir, clock)?;
    let r = app.seed_demo(DemoSize { customers, days_of_history: 365 }, 2026)?;
    app.seed_demo_arrival()?;
    #[cfg(feature = "web")]
    let logins = app.seed_demo_logins()?;
    say(&msg::demo_seeded(r.staff, r.services, r.customers, r.visits, r.appointments))?;
    say(&format!("\n{}", app.config.shop.name))?;
    #[cfg(feature = "kiosk")]
    {
        if !headless && crate::kiosk::has_display() {
            say(&msg::demo_window(&dir, keep))?;
            // The daemon's jobs run beside the window, in this process; messages are logged.
            let daemon = demo_daemon(&app.config, &dir, &app.clock)?;
            #[cfg(feature = "web")]
            let web = DemoWeb::start(&app.config, &dir, &app.clock)?;
            #[cfg(feature = "web")]
            say(&msg::demo_web(&web.url, &logins))?;
            let result = crate::kiosk::run(app).map_err(|e| CliError::Device(e.to_string()));
            daemon.stop();
            #[cfg(feature = "web")]
            web.stop();
            result?;
            return Ok(Outcome::Ok);
        }
        if !headless {
            say(msg::demo_no_display())?;
        }
        // The screens outlive the demo shop: by default in one fixed folder that each run
        // replaces (never one more folder per run).
        let out = match out {
            Some(o) => o,
            None if keep => dir.join("screens"),
            None => {
                let o = std::env::temp_dir().join("salonbox-demo-screens");
                let _ = std::fs::remove_dir_all(&o);
                o
            }
        };
        let (config, clock) = (app.config.clone(), app.clock.clone());
        let played = crate::kiosk::walkthrough::play(app, &out).map_err(|e| CliError::Device(e.to_string()))?;
        for (who, ticket) in &played.tickets {
            say(&msg::demo_kiosk_ticket(who, ticket))?;
        }
        say(&msg::demo_screens(played.screens.len(), &out, &played.printed))?;
        // what the daemon sends after such a morning (logged, not sent, in the demo)
        demo_messages(&config, &dir, &clock)?;
        // the shop after the walk-through, as the command line sees it
        let mut app = App::open(config.clone(), &dir, clock.clone())?;
        say("")?;
        let queue = app.queue(false)?;
        print_queue(&app, &queue)?;
        // Without `--headless`, the back office goes on serving the shop until Ctrl-C.
        #[cfg(feature = "web")]
        if !headless {
            let web = DemoWeb::start(&config, &dir, &clock)?;
            say(&msg::demo_web(&web.url, &logins))?;
            web.wait();
        }
    }
    #[cfg(not(feature = "kiosk"))]
    {
        let _ = (headless, out);
        demo_cli_arrivals(&mut app)?;
    }
    say(&format!("\n{}", if keep { msg::demo_dir(&dir) } else { msg::demo_dir_removed(&dir) }))?;
    Ok(Outcome::Ok)
}

/// The demo's configuration: the shop's own name, hours and paper, but a sandbox. The
/// devices are simulated (a Pi's reader and printer stay free for the shop), nothing syncs
/// with the shop's cloud (its 2,000 made-up customers must never reach it), every message
/// goes to the log channel (nothing leaves the machine), and scheduled jobs do not wait
/// for a synchronised clock.
pub(super) fn demo_config(mut config: Config) -> Config {
    config.hardware.mode = crate::config::HardwareMode::Sim;
    config.cloud.enabled = false;
    #[cfg(feature = "net")]
    {
        config.channels.log = true;
        config.channels.sms_provider = crate::config::SmsProvider::None;
        config.channels.wechat = None;
        config.channels.wecom_webhook = None;
        config.channels.dingtalk_webhook = None;
        for kind in crate::config::ROUTE_KINDS {
            config.messages.routes.insert(kind.to_string(), vec!["log".to_string()]);
        }
        config.messages.routes.retain(|k, _| crate::config::ROUTE_KINDS.contains(&k.as_str()));
        config.jobs.clock_sync_file = None;
    }
    config
}

/// The back office, serving the demo shop on loopback from a thread of its own.
#[cfg(feature = "web")]
pub(super) struct DemoWeb {
    stop: tokio::sync::watch::Sender<bool>,
    thread: std::thread::JoinHandle<()>,
    pub url: String,
}

#[cfg(feature = "web")]
impl DemoWeb {
    /// On 127.0.0.1:8080, or any free port when that one is taken.
    fn start(config: &Config, dir: &Path, clock: &Arc<dyn Clock>) -> Result<DemoWeb, CliError> {
        let listener =
            std::net::TcpListener::bind("127.0.0.1:8080").or_else(|_| std::net::TcpListener::bind("127.0.0.1:0"))?;
        listener.set_nonblocking(true)?;
        let url = format!("http://{}/", listener.local_addr()?);
        let shop = Arc::new(crate::web::Shop::open(config.clone(), dir, clock.clone())?);
        let (stop, mut rx) = tokio::sync::watch::channel(false);
        let thread = std::thread::spawn(move || {
            let rt = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
                Ok(rt) => rt,
                Err(e) => return tracing::error!(error = %e, "demo back office: no runtime"),
            };
            rt.block_on(async move {
                let listener = match tokio::net::TcpListener::from_std(listener) {
                    Ok(l) => l,
                    Err(e) => return tracing::error!(error = %e, "demo back office: no listener"),
                };
                let shutdown = async move {
                    tokio::select! {
                        _ = crate::web::shutdown_signal() => {}
                        _ = rx.changed() => {}
                    }
                };
                if let Err(e) = crate::web::serve_on(listener, shop, shutdown).await {
                    tracing::error!(error = %e, "demo back office stopped");
                }
            });
        });
        Ok(DemoWeb { stop, thread, url })
    }

    fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.thread.join();
    }

    /// Until Ctrl-C (or SIGTERM).
    fn wait(self) {
        let _ = self.thread.join();
    }
}

/// The daemon, running on its own thread beside the demo's window.
#[cfg(feature = "net")]
pub(super) struct DemoDaemon {
    stop: tokio::sync::watch::Sender<bool>,
    thread: std::thread::JoinHandle<()>,
}

#[cfg(feature = "net")]
impl DemoDaemon {
    fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.thread.join();
    }
}

#[cfg(all(feature = "net", feature = "kiosk"))]
pub(super) fn demo_daemon(config: &Config, dir: &Path, clock: &Arc<dyn Clock>) -> Result<DemoDaemon, CliError> {
    let app = App::open(config.clone(), dir, clock.clone())?;
    let (stop, rx) = tokio::sync::watch::channel(false);
    let thread = std::thread::spawn(move || {
        let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(rt) => rt,
            Err(e) => return tracing::error!(error = %e, "demo daemon: no runtime"),
        };
        let result = rt.block_on(async move {
            let daemon = crate::daemon::Daemon::new(app)?;
            daemon.run(rx).await
        });
        if let Err(e) = result {
            tracing::error!(error = %e, "demo daemon stopped");
        }
    });
    Ok(DemoDaemon { stop, thread })
}

/// One pass of the daemon after the headless walk-through: due jobs, then every message
/// due, printed as the log channel "sent" them.
#[cfg(all(feature = "net", feature = "kiosk"))]
pub(super) fn demo_messages(config: &Config, dir: &Path, clock: &Arc<dyn Clock>) -> Result<(), CliError> {
    let app = App::open(config.clone(), dir, clock.clone())?;
    let mut daemon = crate::daemon::Daemon::new(app).map_err(|e| CliError::Device(e.to_string()))?;
    let (_keep, rx) = tokio::sync::watch::channel(false);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    // Tomorrow's reminders as the 18:00 job would queue them, then everything due now.
    let now = daemon.app.now();
    daemon.app.run_job("reminder_day_before", now, false)?;
    rt.block_on(daemon.send_due(&rx)).map_err(|e| CliError::Device(e.to_string()))?;
    let sent = daemon.channels.log().map(crate::channels::LogChannel::sent).unwrap_or_default();
    say(&format!("\n{}", msg::demo_messages(sent.len())))?;
    for (to, text) in sent {
        say(&format!("  → {to}：{text}"))?;
    }
    Ok(())
}

#[cfg(all(not(feature = "net"), feature = "kiosk"))]
pub(super) fn demo_messages(_config: &Config, _dir: &Path, _clock: &Arc<dyn Clock>) -> Result<(), CliError> {
    Ok(())
}

#[cfg(all(not(feature = "net"), feature = "kiosk"))]
pub(super) struct DemoDaemon;

#[cfg(all(not(feature = "net"), feature = "kiosk"))]
impl DemoDaemon {
    fn stop(self) {}
}

#[cfg(all(not(feature = "net"), feature = "kiosk"))]
pub(super) fn demo_daemon(_config: &Config, _dir: &Path, _clock: &Arc<dyn Clock>) -> Result<DemoDaemon, CliError> {
    Ok(DemoDaemon)
}

/// Without the kiosk: the arrivals checked in from the command line.
#[cfg(not(feature = "kiosk"))]
pub(super) fn demo_cli_arrivals(app: &mut App) -> Result<(), CliError> {
    use crate::domain::model::AppointmentStatus;
    // Arrivals: whoever has an appointment about now, then a walk-in by a regular customer.
    let now = app.now();
    let window = app.config.checkin.window;
    let mut arrivals: Vec<(Phone, Option<String>)> = app
        .appointments_on(None, None, false)?
        .into_iter()
        .filter(|a| a.status == AppointmentStatus::Booked && window.matches(a.starts_at, now))
        .take(2)
        .filter_map(|a| app.customer_by_key(&a.customer_id).ok()?.phone.map(|p| (p, None)))
        .collect();
    let walk_in_service = app.list_services(false)?.into_iter().find(|s| s.resource_kind.is_none()).map(|s| s.name);
    if let Some(c) = app.list_customers(1, 0)?.into_iter().next()
        && let Some(phone) = c.phone
    {
        arrivals.push((phone, walk_in_service));
    }
    for (phone, service) in arrivals {
        let o = app.check_in(&CheckinRequest { identity: Identity::Phone(phone), service, staff: None })?;
        say(&msg::checked_in(&o.greeting, &o.entry.ticket, o.already_checked_in))?;
        say(&msg::wait(o.ahead, o.wait_minutes))?;
    }
    say("")?;
    let appointments = app.appointments_on(None, None, false)?;
    print_appointments(app, &appointments)?;
    say("")?;
    let queue = app.queue(false)?;
    print_queue(app, &queue)?;
    Ok(())
}
