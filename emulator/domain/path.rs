//! User-supplied relative paths (issue 9: `codeConfiguration.scoringScript`, blob names written
//! to a deployment's folder, path-valued inference-server variables). [`checked_join`] is the
//! one place such a path is joined to a folder: it refuses anything that could name a file
//! outside it (absolute paths, `..`, drive and UNC forms). Pure: it never touches the file
//! system, so symlinks are the caller's business (see `runtime::materialize`).
use std::path::{Path, PathBuf};

/// Why a relative path was refused (the text completes "the path … is invalid: …").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathRefusal {
    /// Empty, or only `.` segments.
    Empty,
    /// Starts with `/` or `\` (absolute or UNC).
    Absolute,
    /// Starts with a drive letter (`C:`), Windows' absolute and drive-relative forms.
    Drive,
    /// Has a `..` segment.
    ParentSegment,
    /// Has a NUL or another control character.
    ControlCharacter,
}

impl PathRefusal {
    /// What is wrong, in words a user can act on.
    pub fn reason(self) -> &'static str {
        match self {
            PathRefusal::Empty => "it is empty",
            PathRefusal::Absolute => "it is an absolute path",
            PathRefusal::Drive => "it starts with a drive letter",
            PathRefusal::ParentSegment => "it contains a '..' segment",
            PathRefusal::ControlCharacter => "it contains a control character",
        }
    }
}

/// The normal segments of a relative path, `/` and `\` both taken as separators (the SDK on
/// Windows may send `src\score.py`) and `.` segments dropped (`./main.py` is what the CLI's
/// own samples send). Refuses every form that could leave the folder it is joined to.
pub fn relative_segments(rel: &str) -> Result<Vec<&str>, PathRefusal> {
    if rel.chars().any(char::is_control) {
        return Err(PathRefusal::ControlCharacter);
    }
    if rel.starts_with(['/', '\\']) {
        return Err(PathRefusal::Absolute);
    }
    let bytes = rel.as_bytes();
    if bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' {
        return Err(PathRefusal::Drive);
    }
    let mut out = Vec::new();
    for seg in rel.split(['/', '\\']) {
        match seg {
            "" | "." => {}
            ".." => return Err(PathRefusal::ParentSegment),
            s => out.push(s),
        }
    }
    if out.is_empty() {
        return Err(PathRefusal::Empty);
    }
    Ok(out)
}

/// `root` joined with the relative path `rel`, or why `rel` is refused. The result always
/// lies lexically inside `root`.
pub fn checked_join(root: &Path, rel: &str) -> Result<PathBuf, PathRefusal> {
    let mut out = root.to_path_buf();
    for seg in relative_segments(rel)? {
        out.push(seg);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_relative_paths_inside_the_folder() {
        let root = Path::new("/r");
        for (rel, want) in [
            ("score.py", "/r/score.py"),
            ("./main.py", "/r/main.py"),
            ("code/score.py", "/r/code/score.py"),
            ("code\\score.py", "/r/code/score.py"),
            ("a//b", "/r/a/b"),
            ("a..b/c", "/r/a..b/c"),
        ] {
            assert_eq!(checked_join(root, rel), Ok(PathBuf::from(want)), "{rel}");
        }
    }

    #[test]
    fn refuses_every_escape() {
        let root = Path::new("/r");
        for (rel, why) in [
            ("", PathRefusal::Empty),
            ("./", PathRefusal::Empty),
            ("/etc/passwd", PathRefusal::Absolute),
            ("\\\\server\\share\\x.py", PathRefusal::Absolute),
            ("\\x.py", PathRefusal::Absolute),
            ("C:\\x.py", PathRefusal::Drive),
            ("c:x.py", PathRefusal::Drive),
            ("..", PathRefusal::ParentSegment),
            ("../x.py", PathRefusal::ParentSegment),
            ("a/../../x.py", PathRefusal::ParentSegment),
            ("a\\..\\..\\x.py", PathRefusal::ParentSegment),
            ("a/..", PathRefusal::ParentSegment),
            ("a\0b", PathRefusal::ControlCharacter),
        ] {
            assert_eq!(checked_join(root, rel), Err(why), "{rel:?}");
        }
    }
}
