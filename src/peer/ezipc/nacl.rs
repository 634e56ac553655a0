//! The encrypted mode, as EZ-IPC's HEAD runs it with PyNaCl installed:
//! each text is signed with the sender's Ed25519 key (signature first, as
//! `SigningKey.sign` writes it), sealed in a NaCl box (X25519 +
//! XSalsa20-Poly1305) with a random 24-byte nonce put in front (as
//! `Box.encrypt` writes it), and the result sent as Base85.
//!
//! ```text
//! frame text = b85( nonce (24) | box( signature (64) | JSON text ) )
//! box overhead = 16 bytes (Poly1305 tag)
//! ```
//!
//! The keys are exchanged in the clear: `RSA.EXCH` carries each side's
//! X25519 public key and Ed25519 verify key in hex, `RSA.CONF` switches
//! both sides to sealed frames once its answer has gone out.

use std::prelude::rust_2024::*;

use std::fmt;

use crypto_box::aead::{Aead, AeadCore, OsRng};
use crypto_box::{PublicKey, SalsaBox, SecretKey};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

use super::wire::FrameError;

use super::SEAL_OVERHEAD;

const NONCE_LEN: usize = 24;
const SIGNATURE_LEN: usize = 64;
const _: () = assert!(SEAL_OVERHEAD == NONCE_LEN + 16 + SIGNATURE_LEN);

/// One side's keys for a session: an X25519 secret for the box and an
/// Ed25519 key for signing.
pub(super) struct KeyPair {
    secret: SecretKey,
    signing: SigningKey,
}

impl KeyPair {
    pub(super) fn generate() -> KeyPair {
        KeyPair {
            secret: SecretKey::generate(&mut OsRng),
            signing: SigningKey::generate(&mut OsRng),
        }
    }

    /// `[public key, verify key]` in hex, as `RSA.EXCH` carries them.
    pub(super) fn public_hex(&self) -> [String; 2] {
        [
            hex(self.secret.public_key().as_bytes()),
            hex(self.signing.verifying_key().as_bytes()),
        ]
    }
}

/// A key the peer sent that cannot be used.
#[derive(Debug)]
pub(super) struct BadKey(String);

impl fmt::Display for BadKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Seals and opens one session's frames.
pub(super) struct Sealer {
    salsa: SalsaBox,
    signing: SigningKey,
    verify: VerifyingKey,
}

impl Sealer {
    /// The session between `ours` and the peer's hex keys.
    pub(super) fn new(
        ours: &KeyPair,
        public_hex: &str,
        verify_hex: &str,
    ) -> Result<Sealer, BadKey> {
        let public = unhex32(public_hex)
            .ok_or_else(|| BadKey(format!("public key {public_hex:?} is not 32 bytes in hex")))?;
        let verify = unhex32(verify_hex)
            .ok_or_else(|| BadKey(format!("verify key {verify_hex:?} is not 32 bytes in hex")))?;
        let verify = VerifyingKey::from_bytes(&verify)
            .map_err(|e| BadKey(format!("verify key is not an Ed25519 point: {e}")))?;
        Ok(Sealer {
            salsa: SalsaBox::new(&PublicKey::from(public), &ours.secret),
            signing: ours.signing.clone(),
            verify,
        })
    }

    /// Signs and seals `text`: nonce, then the box.
    pub(super) fn seal(&self, text: &[u8]) -> Vec<u8> {
        let signature = self.signing.sign(text);
        let mut signed = Vec::with_capacity(SIGNATURE_LEN + text.len());
        signed.extend_from_slice(&signature.to_bytes());
        signed.extend_from_slice(text);
        let nonce = SalsaBox::generate_nonce(&mut OsRng);
        let mut out = Vec::with_capacity(SEAL_OVERHEAD + text.len());
        out.extend_from_slice(&nonce);
        // Encryption in memory cannot fail; an empty box would be refused
        // by the peer, never misread.
        out.extend_from_slice(
            &self
                .salsa
                .encrypt(&nonce, signed.as_slice())
                .unwrap_or_default(),
        );
        out
    }

    /// Opens a sealed text and checks its signature; the text.
    pub(super) fn open(&self, sealed: &[u8]) -> Result<Vec<u8>, FrameError> {
        let (Some(nonce), Some(boxed)) = (sealed.get(..NONCE_LEN), sealed.get(NONCE_LEN..)) else {
            return Err(FrameError::Decrypt);
        };
        let signed = self
            .salsa
            .decrypt(nonce.into(), boxed)
            .map_err(|_| FrameError::Decrypt)?;
        let (Some(signature), Some(text)) =
            (signed.get(..SIGNATURE_LEN), signed.get(SIGNATURE_LEN..))
        else {
            return Err(FrameError::Signature);
        };
        let signature = Signature::from_slice(signature).map_err(|_| FrameError::Signature)?;
        self.verify
            .verify_strict(text, &signature)
            .map_err(|_| FrameError::Signature)?;
        Ok(text.to_vec())
    }
}

// Hex for the two 32-byte keys of `RSA.EXCH` (PyNaCl's `HexEncoder`,
// lowercase out, either case in): a few lines, not worth a dependency.
fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        for d in [b >> 4, b & 15] {
            out.push(char::from(
                DIGITS.get(usize::from(d)).copied().unwrap_or(b'0'),
            ));
        }
    }
    out
}

fn unhex32(text: &str) -> Option<[u8; 32]> {
    let digits = text.as_bytes();
    if digits.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (o, pair) in out.iter_mut().zip(digits.chunks(2)) {
        let hi = char::from(*pair.first()?).to_digit(16)?;
        let lo = char::from(*pair.get(1)?).to_digit(16)?;
        *o = u8::try_from(hi * 16 + lo).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use std::prelude::rust_2024::*;

    use super::{KeyPair, Sealer, unhex32};
    use crate::peer::ezipc::FrameError;
    use crate::peer::ezipc::SEAL_OVERHEAD;

    #[test]
    fn sealed_texts_open_on_the_other_side_only() {
        let (a, b, c) = (
            KeyPair::generate(),
            KeyPair::generate(),
            KeyPair::generate(),
        );
        let [bp, bv] = b.public_hex();
        let [ap, av] = a.public_hex();
        let [cp, cv] = c.public_hex();
        let a_to_b = Sealer::new(&a, &bp, &bv).unwrap();
        let b_from_a = Sealer::new(&b, &ap, &av).unwrap();
        let sealed = a_to_b.seal(b"[1]");
        assert_eq!(sealed.len(), 3 + SEAL_OVERHEAD);
        assert_eq!(b_from_a.open(&sealed).unwrap(), b"[1]");
        // Another peer's box does not open; a flipped byte does not either.
        let b_from_c = Sealer::new(&b, &cp, &cv).unwrap();
        assert_eq!(b_from_c.open(&sealed), Err(FrameError::Decrypt));
        let mut bent = sealed.clone();
        *bent.last_mut().unwrap() ^= 1;
        assert_eq!(b_from_a.open(&bent), Err(FrameError::Decrypt));
        assert_eq!(b_from_a.open(&sealed[..10]), Err(FrameError::Decrypt));
        // Boxed for b by a, but signed by c: the signature gives it away.
        let forged = Sealer::new(&a, &bp, &bv).unwrap();
        let b_expects_c_signing = Sealer::new(&b, &ap, &cv).unwrap();
        assert_eq!(
            b_expects_c_signing.open(&forged.seal(b"x")),
            Err(FrameError::Signature)
        );
        assert!(Sealer::new(&a, "00", &bv).is_err());
        assert_eq!(unhex32(&"ab".repeat(32)), Some([0xab; 32]));
        assert_eq!(unhex32(&"zz".repeat(32)), None);
    }
}
