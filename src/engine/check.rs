//! The compiled [`Scanner`] as `rules check` sees it (see
//! [`crate::rules::check`]): the engine implements the port the rules stage
//! defines, so the check can run examples without the rules stage
//! importing the engine.

use crate::engine::oracle::Oracle;
use crate::engine::scanner::Scanner;
use crate::error::Error;
use crate::rules::check::{ExampleEngine, ExampleFinding, Reference};
use crate::rules::Rule;

pub use crate::rules::check::{check, CheckFailure, CheckReport};

impl ExampleEngine for Scanner {
    fn rules(&self) -> &[Rule] {
        Scanner::rules(self)
    }

    fn build_all_now(&self) -> Result<(), Error> {
        Scanner::build_all_now(self)
    }

    fn starts_with_keyword(&self, index: usize) -> bool {
        self.rule_shape(index).starts_with_keyword
    }

    fn rule_index(&self, id: &str) -> Option<usize> {
        Scanner::rule_index(self, id)
    }

    fn reference(&self) -> Reference<'_> {
        let oracle = Oracle::new(self);
        Box::new(move |rule, text| oracle.rule_matches(rule, text))
    }

    fn findings(&self, text: &[u8]) -> Vec<ExampleFinding> {
        // NOTE: a doubtful finding (a failed check, a glued token) is for
        // redaction only: a negative example may well hold one (a token
        // with a broken checksum), and a positive one must be found without.
        self.scan(text)
            .into_iter()
            .filter(|f| f.doubt.is_none())
            .map(|f| ExampleFinding {
                rule_index: f.rule_index,
                rule_id: f.rule_id.to_string(),
                secret: f.secret,
            })
            .collect()
    }

    fn redact(&self, text: &[u8]) -> Vec<u8> {
        Scanner::redact(self, text).into_owned()
    }
}
