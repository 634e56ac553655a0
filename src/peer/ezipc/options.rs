//! [`Profile`] and [`EzIpcOptions`]: how a peer speaks and its limits.

use std::time::Duration;

/// How frame texts are spelled on the wire, after the EZ-IPC versions
/// that wrote them (see the [module docs](super)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Profile {
    /// EZ-IPC at its Dec-2019 HEAD (the seed's version, the default):
    /// every frame text is Base85 (Python's `b85encode`) of the JSON; the
    /// session opens with `ETC.INIT`; every answer is a batch array.
    #[default]
    Base85,
    /// EZ-IPC up to 2019-11-26 (commit 31bfe9e): frame texts are raw UTF-8
    /// JSON; the session opens with `TIME`; answers are single objects and
    /// ids are 32 hex digits.
    Raw,
}

impl Profile {
    /// The request a client opens the session with (its result is
    /// `{"startup": SECONDS, "id": ALIAS}`).
    ///
    /// ```
    /// use procslink::peer::ezipc::Profile;
    /// assert_eq!(Profile::Base85.setup_method(), "ETC.INIT");
    /// assert_eq!(Profile::Raw.setup_method(), "TIME");
    /// ```
    pub const fn setup_method(self) -> &'static str {
        match self {
            Profile::Base85 => "ETC.INIT",
            Profile::Raw => "TIME",
        }
    }

    /// Whether answers go out as one batch array per frame received (the
    /// HEAD server does so even for a single request); else one object per
    /// answer (the older server, which cannot read arrays).
    pub const fn batches_answers(self) -> bool {
        matches!(self, Profile::Base85)
    }
}

/// The options of an EZ-IPC client or server.
///
/// ```
/// use std::time::Duration;
/// use procslink::peer::ezipc::{EzIpcOptions, Profile};
///
/// let opts = EzIpcOptions::new().profile(Profile::Raw).timeout(Duration::from_secs(2)).max_frame(4096);
/// assert_eq!(opts.get_profile(), Profile::Raw);
/// assert_eq!(opts.get_max_frame(), 4096);
/// ```
#[derive(Clone, Debug)]
pub struct EzIpcOptions {
    pub(super) profile: Profile,
    pub(super) timeout: Duration,
    pub(super) max_frame: usize,
    pub(super) max_connections: usize,
    pub(super) idle_timeout: Option<Duration>,
    pub(super) encrypt: bool,
}

/// The default frame limit: 1 MiB of wire bytes (text and separator). The
/// reference reads frames with asyncio's `readuntil`, whose default limit
/// is 64 KiB: it cannot receive longer ones.
pub const DEFAULT_MAX_FRAME: usize = 1 << 20;

impl Default for EzIpcOptions {
    fn default() -> Self {
        EzIpcOptions {
            profile: Profile::Base85,
            timeout: Duration::from_secs(10),
            max_frame: DEFAULT_MAX_FRAME,
            max_connections: 64,
            idle_timeout: None,
            encrypt: false,
        }
    }
}

impl EzIpcOptions {
    /// Base85, a 10 s timeout (the reference's for its setup calls), frames
    /// up to [`DEFAULT_MAX_FRAME`], 64 connections at a time that may stay
    /// idle as long as they like (as with the reference), no encryption.
    pub fn new() -> Self {
        EzIpcOptions::default()
    }

    /// The wire profile.
    #[must_use]
    pub fn profile(mut self, profile: Profile) -> Self {
        self.profile = profile;
        self
    }

    /// How long a client waits for a connection and for each answer.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The most wire bytes one received frame may span (text and
    /// separator; at least 16); a longer one is answered with an error and
    /// skipped.
    #[must_use]
    pub fn max_frame(mut self, max_frame: usize) -> Self {
        self.max_frame = max_frame.max(16);
        self
    }

    /// The most connections a server serves at once; one more is closed at
    /// once.
    #[must_use]
    pub fn max_connections(mut self, max_connections: usize) -> Self {
        self.max_connections = max_connections.max(1);
        self
    }

    /// How long a server waits for the next bytes of a connection before
    /// closing it (`None`: for ever, as the reference does). With a limit,
    /// clients that connect and say nothing cannot hold every
    /// connection slot.
    #[must_use]
    pub fn idle_timeout(mut self, idle: Option<Duration>) -> Self {
        self.idle_timeout = idle.filter(|d| !d.is_zero());
        self
    }

    /// Whether a client asks for the key exchange (`RSA.EXCH`, `RSA.CONF`)
    /// and encrypts after it (failing to connect if the server declines),
    /// and whether a server agrees to one (it answers `[null, null]`
    /// otherwise: no keys). Needs the `ezipc-nacl` feature: without it, a
    /// client asking for encryption fails to connect with a clear error.
    /// Base85 profile only.
    #[must_use]
    pub fn encrypt(mut self, encrypt: bool) -> Self {
        self.encrypt = encrypt;
        self
    }

    /// The wire profile.
    pub fn get_profile(&self) -> Profile {
        self.profile
    }

    /// The frame limit.
    pub fn get_max_frame(&self) -> usize {
        self.max_frame
    }

    /// Whether encryption is asked for.
    pub fn get_encrypt(&self) -> bool {
        self.encrypt
    }
}
