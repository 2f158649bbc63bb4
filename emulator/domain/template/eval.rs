//! Evaluation of ARM template expressions: parameters and variables (lazily, each once), and the
//! template functions the workspace templates of azure-ai-ml and the Azure CLI use (learn.
//! microsoft.com, azure-resource-manager/templates/template-functions-*). A function amlite
//! does not know is an error naming it, never a guess.
//!
//! Pure: no IO, no clock. `reference()` cannot read a deployed resource's runtime state here:
//! it answers the identity-shaped object (`principalId`, `clientId`, `tenantId`) that the
//! templates read from it, with ids derived from the resource id.
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;

use serde_json::{Map, Value};

use super::expr::{classify, parse, Expr, Text};

/// Deepest recursion of one evaluation: nested JSON values, expression calls and variable or
/// parameter references all count against this one bound (a reference cycle ends here too), so
/// their product cannot exhaust the stack (the evaluation also runs on a thread with a large
/// stack, `arm::template_deployment`).
const MAX_RECURSION: usize = 256;

/// Bytes of strings and items an evaluation may produce: a few kilobytes of template can ask for
/// exponentially many (`v2 = concat(v1, v1)`, `v3 = concat(v2, v2)`, …), so every value a
/// function makes or a reference copies is charged against this, shared by the contexts of
/// inner-scope nested deployments.
const BUDGET: usize = 16 << 20;

/// Where the deployment runs.
#[derive(Debug, Clone)]
pub struct Target {
    pub subscription: String,
    pub resource_group: String,
    /// The resource group's location (`resourceGroup().location`).
    pub location: String,
    pub tenant: String,
    /// The deployment's name (`deployment().name`).
    pub deployment: String,
    /// A GUID the caller drew for this deployment: `newGuid()` answers GUIDs derived from it
    /// (the evaluator draws nothing itself).
    pub fresh: uuid::Uuid,
}

/// The evaluation context of one template.
pub struct Ctx<'a> {
    target: &'a Target,
    /// Declared parameters (lower-cased name → declaration).
    declared: BTreeMap<String, &'a Value>,
    /// Values the request gave (lower-cased name → value).
    given: BTreeMap<String, &'a Value>,
    variables: BTreeMap<String, &'a Value>,
    memo: RefCell<BTreeMap<String, Value>>,
    /// Shared with the contexts made by [`Ctx::inner`].
    shared: Rc<Shared>,
}

/// What every context of one template evaluation counts together.
#[derive(Default)]
struct Shared {
    depth: Cell<usize>,
    spent: Cell<usize>,
    guids: Cell<u64>,
    /// Every `reference(id, apiVersion)` evaluated so far, in order.
    references: RefCell<Vec<Reference>>,
}

/// One `reference()` call: the resource it names and the api-version it gave, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct Reference {
    pub id: String,
    pub api_version: Option<String>,
}

impl<'a> Ctx<'a> {
    pub fn new(template: &'a Value, given: &'a Map<String, Value>, target: &'a Target) -> Self {
        let lower = |v: Option<&'a Value>| -> BTreeMap<String, &'a Value> {
            v.and_then(Value::as_object)
                .map(|m| m.iter().map(|(k, v)| (k.to_ascii_lowercase(), v)).collect())
                .unwrap_or_default()
        };
        Ctx {
            target,
            declared: lower(template.get("parameters")),
            given: given
                .iter()
                .filter_map(|(k, v)| Some((k.to_ascii_lowercase(), v.get("value")?)))
                .collect(),
            variables: lower(template.get("variables")),
            memo: RefCell::new(BTreeMap::new()),
            shared: Rc::new(Shared::default()),
        }
    }

    /// The context of an inner-scope nested deployment: its own template, parameters and target
    /// (where it deploys), the same recursion bound and budget.
    pub fn inner<'b>(
        &self,
        template: &'b Value,
        given: &'b Map<String, Value>,
        target: &'b Target,
    ) -> Ctx<'b> {
        let mut ctx = Ctx::new(template, given, target);
        ctx.shared = Rc::clone(&self.shared);
        ctx
    }

    /// Runs `f` one level deeper, or fails when the evaluation is already too deep.
    fn deeper<T>(&self, f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
        let d = self.shared.depth.get();
        if d >= MAX_RECURSION {
            return Err("The template's expressions, values or references are nested too deeply (or refer to each other in a cycle).".into());
        }
        self.shared.depth.set(d + 1);
        let out = f();
        self.shared.depth.set(d);
        out
    }

    /// The number of the next `newGuid()` call.
    pub(super) fn next_guid(&self) -> u64 {
        let n = self.shared.guids.get() + 1;
        self.shared.guids.set(n);
        n
    }

    /// Notes a `reference()` call: ARM makes the resource whose properties call it depend on the
    /// referenced one (template-functions-resource#reference, "implicit dependency").
    pub(super) fn note_reference(&self, id: &str, api_version: Option<&str>) {
        self.shared.references.borrow_mut().push(Reference {
            id: id.to_string(),
            api_version: api_version.map(str::to_string),
        });
    }

    /// How many `reference()` calls were noted so far (a mark for [`Ctx::references_since`]).
    pub(super) fn references_mark(&self) -> usize {
        self.shared.references.borrow().len()
    }

    /// The `reference()` calls noted since `mark`.
    pub(super) fn references_since(&self, mark: usize) -> Vec<Reference> {
        self.shared
            .references
            .borrow()
            .get(mark..)
            .map(<[Reference]>::to_vec)
            .unwrap_or_default()
    }

    /// Forgets the `reference()` calls noted since `mark` (an inner-scope nested deployment
    /// evaluates its own: they are not the outer resource's dependencies).
    pub(super) fn forget_references(&self, mark: usize) {
        self.shared.references.borrow_mut().truncate(mark);
    }

    pub fn target(&self) -> &Target {
        self.target
    }

    /// Evaluates a JSON value: every expression string in it, recursively.
    pub fn value(&self, v: &Value) -> Result<Value, String> {
        self.deeper(|| self.value_here(v))
    }

    fn value_here(&self, v: &Value) -> Result<Value, String> {
        match v {
            Value::String(s) => match classify(s) {
                Text::Expression(src) => self.eval(&parse(src)?),
                Text::Literal(l) => Ok(Value::String(l.into_owned())),
            },
            Value::Array(items) => items.iter().map(|i| self.value(i)).collect(),
            Value::Object(m) => {
                let mut out = Map::new();
                for (k, v) in m {
                    // Property names may be expressions too (`userAssignedIdentities` keyed by
                    // `[variables('identityId')]`).
                    let key = match self.value(&Value::String(k.clone()))? {
                        Value::String(s) => s,
                        other => {
                            return Err(format!(
                                "The property name '{k}' evaluates to '{other}', not a string."
                            ))
                        }
                    };
                    out.insert(key, self.value(v)?);
                }
                Ok(Value::Object(out))
            }
            other => Ok(other.clone()),
        }
    }

    /// The value of parameter `name` (given, else its evaluated `defaultValue`).
    pub fn parameter(&self, name: &str) -> Result<Value, String> {
        let key = name.to_ascii_lowercase();
        let decl = self
            .declared
            .get(&key)
            .ok_or_else(|| format!("The template parameter '{name}' is not found."))?;
        if let Some(v) = self.given.get(&key) {
            self.charge(v)?;
            return Ok((*v).clone());
        }
        let default = decl.get("defaultValue").ok_or_else(|| {
            format!("The value for the template parameter '{name}' is not provided.")
        })?;
        self.memoised(format!("p:{key}"), default)
    }

    fn variable(&self, name: &str) -> Result<Value, String> {
        let key = name.to_ascii_lowercase();
        let raw = self
            .variables
            .get(&key)
            .ok_or_else(|| format!("The template variable '{name}' is not found."))?;
        self.memoised(format!("v:{key}"), raw)
    }

    fn memoised(&self, key: String, raw: &Value) -> Result<Value, String> {
        if let Some(v) = self.memo.borrow().get(&key) {
            self.charge(v)?;
            return Ok(v.clone());
        }
        let out = self.value(raw)?;
        self.memo.borrow_mut().insert(key, out.clone());
        Ok(out)
    }

    fn eval(&self, e: &Expr) -> Result<Value, String> {
        self.deeper(|| self.eval_here(e))
    }

    fn eval_here(&self, e: &Expr) -> Result<Value, String> {
        match e {
            Expr::Str(s) => Ok(Value::String(s.clone())),
            Expr::Int(n) => Ok(Value::from(*n)),
            Expr::Bool(b) => Ok(Value::Bool(*b)),
            Expr::Null => Ok(Value::Null),
            Expr::Member(obj, name) => {
                let v = self.eval(obj)?;
                member(&v, name).ok_or_else(|| {
                    format!("The language expression property '{name}' doesn't exist.")
                })
            }
            Expr::Index(obj, index) => {
                let (v, i) = (self.eval(obj)?, self.eval(index)?);
                let got = match (&v, &i) {
                    (Value::Array(a), Value::Number(n)) => {
                        n.as_u64().and_then(|n| a.get(usize::try_from(n).ok()?))
                    }
                    (Value::Object(_), Value::String(s)) => {
                        return member(&v, s).ok_or_else(|| {
                            format!("The language expression property '{s}' doesn't exist.")
                        })
                    }
                    _ => None,
                };
                got.cloned()
                    .ok_or_else(|| format!("The language expression index '{i}' is out of bounds."))
            }
            Expr::Call(name, args) if name == "if" => {
                let [cond, yes, no] = args.as_slice() else {
                    return Err(arity(name));
                };
                match self.eval(cond)? {
                    Value::Bool(true) => self.eval(yes),
                    Value::Bool(false) => self.eval(no),
                    _ => Err("The template function 'if' expects a boolean condition.".into()),
                }
            }
            Expr::Call(name, args) => {
                let vals = args
                    .iter()
                    .map(|a| self.eval(a))
                    .collect::<Result<Vec<_>, _>>()?;
                let out = super::functions::call(self, name, &vals)?;
                self.charge(&out)?;
                Ok(out)
            }
        }
    }

    /// Charges the size of `v` against the evaluation's budget.
    fn charge(&self, v: &Value) -> Result<(), String> {
        let spent = self.shared.spent.get().saturating_add(weight(v));
        self.shared.spent.set(spent);
        if spent > BUDGET {
            return Err(format!(
                "The template's expressions produce more than {} MiB of values.",
                BUDGET >> 20
            ));
        }
        Ok(())
    }

    /// `parameters(name)` / `variables(name)` for the function table.
    pub(super) fn lookup(&self, function: &str, name: &str) -> Result<Value, String> {
        if function == "parameters" {
            self.parameter(name)
        } else {
            self.variable(name)
        }
    }
}

/// About how many bytes `v` holds.
fn weight(v: &Value) -> usize {
    match v {
        Value::String(s) => s.len() + 1,
        Value::Array(a) => a.iter().map(weight).sum::<usize>() + 1,
        Value::Object(m) => m.iter().map(|(k, v)| k.len() + weight(v)).sum::<usize>() + 1,
        _ => 1,
    }
}

/// ARM property access is case-insensitive.
fn member(v: &Value, name: &str) -> Option<Value> {
    let m = v.as_object()?;
    m.get(name)
        .or_else(|| {
            m.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v)
        })
        .cloned()
}

pub(super) fn arity(name: &str) -> String {
    format!("The template function '{name}' has the wrong number of arguments.")
}
