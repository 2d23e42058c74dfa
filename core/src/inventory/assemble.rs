//! Putting an inventory together from its sources: each text read into one tree in order,
//! then the `group_vars`/`host_vars` beside them, then precedence (`build`), and a digest of
//! every file read, so that a result can name exactly the inventory it came from.

use sha2::Digest;

use super::build;
use super::error::{InventoryError, Location, NameKind, Scope};
use super::hostpattern;
use super::ini;
use super::load::{self, Locator};
use super::model::Inventory;
use super::sources::{Format, Sources};
use super::tree::{Origin, Place, Tree};
use super::validate;
use super::varsdir;

/// The inventory made of `sources`; `given` names them as the user did (the `-i` arguments).
pub(super) fn assemble(sources: Sources, given: &str) -> Result<Inventory, InventoryError> {
    for text in sources.texts.iter().filter(|t| t.format == Format::Yaml) {
        if let Some(line) = crate::files::flow_too_deep(&text.text, crate::files::MAX_FLOW_DEPTH) {
            return Err(InventoryError::Structure {
                location: Location::new(&text.name, Some(line), None),
                message: format!("`[`/`{{` nest more than {} deep here", crate::files::MAX_FLOW_DEPTH),
            });
        }
    }
    let locators: Vec<Locator<'_>> = sources.texts.iter().map(|t| Locator::new(&t.text, &t.name)).collect();
    let mut tree = Tree::default();
    for (index, (text, locator)) in sources.texts.iter().zip(&locators).enumerate() {
        match text.format {
            Format::Yaml => load::read(&mut tree, index, locator)?,
            Format::Ini => ini::read(&mut tree, index, &text.name, &text.text),
            Format::HostList => host_list(&mut tree, &text.name, &text.text),
        }
    }
    let mut vars_files = Vec::new();
    let layers: Vec<_> =
        sources.vars_roots.iter().map(|root| varsdir::read(root, &mut tree, &mut vars_files)).collect();
    let resolve = |origin: &Origin| match origin {
        Origin::Key { source, path } => match locators.get(*source) {
            Some(locator) => locator.at(path),
            None => Location::new(given, None, None),
        },
        Origin::Line { source, line } => {
            let name = sources.texts.get(*source).map_or(given, |t| t.name.as_str());
            Location::new(name, Some(*line), None)
        }
    };
    let mut inventory = build::build(tree, &layers, given, &resolve)?;
    inventory.sha256 = match (&sources.texts[..], &vars_files[..]) {
        // One file alone: the digest of its text, as `sha256sum` gives it.
        ([one], []) => hex::encode(sha2::Sha256::digest(one.text.as_bytes())),
        (texts, files) => {
            let mut hasher = sha2::Sha256::new();
            let all = texts.iter().map(|t| (&t.name, &t.text)).chain(files.iter().map(|f| (&f.name, &f.text)));
            for (name, text) in all {
                for part in [name.as_bytes(), &text.len().to_le_bytes(), text.as_bytes()] {
                    hasher.update(part);
                }
            }
            hex::encode(hasher.finalize())
        }
    };
    Ok(inventory)
}

/// `-i wsus01,wsus02:2222`: hosts given on the command line, `ungrouped`, as Ansible's
/// `host_list` source reads them.
fn host_list(tree: &mut Tree, name: &str, text: &str) {
    for implicit in ["all", "ungrouped"] {
        tree.group(implicit, || Origin::Line { source: 0, line: 1 });
    }
    for item in text.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let location = || Location::new(name, None, None);
        let expanded = match hostpattern::expand(item) {
            Ok(e) if e.names.len() == 1 => e,
            Ok(_) => {
                let reason =
                    "a host list on the command line takes plain names; put ranges in an inventory file".into();
                let (kind, name) = (NameKind::Host, item.to_string());
                tree.errors.push(InventoryError::InvalidName { location: location(), kind, name, reason });
                continue;
            }
            Err(reason) => {
                let (kind, name) = (NameKind::Host, item.to_string());
                tree.errors.push(InventoryError::InvalidName { location: location(), kind, name, reason });
                continue;
            }
        };
        let host = &expanded.names[0];
        if let Err(reason) = validate::host_name(host) {
            let (kind, name) = (NameKind::Host, host.clone());
            tree.errors.push(InventoryError::InvalidName { location: location(), kind, name, reason });
            continue;
        }
        let mut vars = tree.read_vars(&Scope::Host(host.clone()), [], Place::Inventory, &|_| location());
        if let Some(port) = expanded.port {
            vars.set_port_if_unset(port);
        }
        tree.add_host("ungrouped", host, &vars);
    }
}
