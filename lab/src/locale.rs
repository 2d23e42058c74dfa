//! Host languages: which Windows a host is (`en-US`, `zh-CN`, `de-DE`, `fr-FR`, `ja-JP`), the
//! code pages that follow from it, the encoders that turn text into console bytes, and the
//! catalogue of the messages the lab prints in each language.
//!
//! Every command writes text through [`encode`] in the session's console code page (the
//! host's OEM code page unless `chcp` changed it): 437 for English, 850 for German and
//! French (the `oem_cp` crate's tables), 936 (GBK) for Chinese and 932 (Shift_JIS) for
//! Japanese (`encoding_rs`). A character the code page lacks becomes `?`, as
//! `WideCharToMultiByte` writes its default character.
//!
//! The wordings and where each comes from are listed in `lab/README.md` ("Languages and SSH
//! servers"); the ones no public sample confirms are marked there as guesses.
//!
//! ```
//! use wsusfix_lab::locale::{encode, Language};
//! let zh = Language::parse("zh-CN").unwrap();
//! assert_eq!(zh.oem_code_page(), 936);
//! assert_eq!(encode("版本", 936), vec![0xB0, 0xE6, 0xB1, 0xBE]);
//! ```

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::host::Os;

/// The display language (and so the code pages) of a simulated Windows host.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Language {
    /// English (United States): OEM code page 437, ANSI 1252.
    #[default]
    #[serde(rename = "en-US")]
    EnUs,
    /// Chinese (Simplified, PRC): 936 (GBK) for both.
    #[serde(rename = "zh-CN")]
    ZhCn,
    /// German (Germany): OEM 850, ANSI 1252.
    #[serde(rename = "de-DE")]
    DeDe,
    /// French (France): OEM 850, ANSI 1252.
    #[serde(rename = "fr-FR")]
    FrFr,
    /// Japanese: 932 (Shift_JIS) for both.
    #[serde(rename = "ja-JP")]
    JaJp,
}

impl Language {
    /// Every language the lab models.
    pub const ALL: [Language; 5] = [Language::EnUs, Language::ZhCn, Language::DeDe, Language::FrFr, Language::JaJp];

    /// `en-US`, `zh-CN`, ... (case-insensitive; `_` works as `-`; `en`, `zh`, `de`, `fr`,
    /// `ja` alone are accepted too).
    pub fn parse(text: &str) -> Option<Language> {
        let wanted = text.trim().replace('_', "-").to_ascii_lowercase();
        Language::ALL.into_iter().find(|l| {
            let tag = l.tag().to_ascii_lowercase();
            wanted == tag || tag.split('-').next() == Some(wanted.as_str())
        })
    }

    /// The BCP 47 tag: `en-US`, `zh-CN`, `de-DE`, `fr-FR`, `ja-JP`.
    pub fn tag(self) -> &'static str {
        match self {
            Language::EnUs => "en-US",
            Language::ZhCn => "zh-CN",
            Language::DeDe => "de-DE",
            Language::FrFr => "fr-FR",
            Language::JaJp => "ja-JP",
        }
    }

    /// The OEM code page: what a console (and so an SSH session's cmd.exe) writes in.
    pub fn oem_code_page(self) -> u16 {
        match self {
            Language::EnUs => 437,
            Language::ZhCn => 936,
            Language::DeDe | Language::FrFr => 850,
            Language::JaJp => 932,
        }
    }

    /// The ANSI code page: how a program that takes its command line as bytes (findstr)
    /// sees non-ASCII arguments.
    pub fn ansi_code_page(self) -> u16 {
        match self {
            Language::EnUs | Language::DeDe | Language::FrFr => 1252,
            Language::ZhCn => 936,
            Language::JaJp => 932,
        }
    }

    /// One text per language, in the order en, zh, de, fr, ja.
    pub(crate) fn pick(
        self,
        en: &'static str,
        zh: &'static str,
        de: &'static str,
        fr: &'static str,
        ja: &'static str,
    ) -> &'static str {
        match self {
            Language::EnUs => en,
            Language::ZhCn => zh,
            Language::DeDe => de,
            Language::FrFr => fr,
            Language::JaJp => ja,
        }
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.tag())
    }
}

impl FromStr for Language {
    type Err = String;

    fn from_str(s: &str) -> Result<Language, String> {
        Language::parse(s).ok_or_else(|| {
            let known: Vec<&str> = Language::ALL.iter().map(|l| l.tag()).collect();
            format!("unknown language `{s}` (known: {})", known.join(", "))
        })
    }
}

/// The code pages `chcp` accepts in the lab.
pub const CODE_PAGES: [u16; 7] = [437, 850, 932, 936, 1252, 65001, 20127];

/// Encodes text in a Windows code page; characters it lacks become `?`.
///
/// Code page 437 keeps the lab's earlier bytes for `®` (0xA9) and `©` (0xB8), which 437 has
/// no place for (what Windows' best-fit mapping prints there is not sourced).
pub fn encode(text: &str, code_page: u16) -> Vec<u8> {
    if text.is_ascii() {
        return text.as_bytes().to_vec();
    }
    match code_page {
        437 | 850 => {
            let table = if code_page == 437 {
                &oem_cp::code_table::ENCODING_TABLE_CP437
            } else {
                &oem_cp::code_table::ENCODING_TABLE_CP850
            };
            text.chars()
                .map(|c| match c {
                    c if c.is_ascii() => c as u8,
                    c => table.get(&c).copied().unwrap_or(match (code_page, c) {
                        (437, '®') => 0xA9,
                        (437, '©') => 0xB8,
                        _ => b'?',
                    }),
                })
                .collect()
        }
        65001 => text.as_bytes().to_vec(),
        other => {
            let encoding = match other {
                936 => encoding_rs::GBK,
                932 => encoding_rs::SHIFT_JIS,
                1252 => encoding_rs::WINDOWS_1252,
                _ => return text.chars().map(|c| if c.is_ascii() { c as u8 } else { b'?' }).collect(),
            };
            let mut out = Vec::with_capacity(text.len());
            let mut buf = [0u8; 4];
            for c in text.chars() {
                if c.is_ascii() {
                    out.push(c as u8);
                    continue;
                }
                let (bytes, _, unmappable) = encoding.encode(c.encode_utf8(&mut buf));
                if unmappable {
                    out.push(b'?');
                } else {
                    out.extend_from_slice(&bytes);
                }
            }
            out
        }
    }
}

/// Decodes bytes written in a Windows code page (what cmd.exe does to its stdin).
pub fn decode(bytes: &[u8], code_page: u16) -> String {
    if bytes.is_ascii() {
        return String::from_utf8_lossy(bytes).into_owned();
    }
    match code_page {
        437 | 850 => {
            let table = if code_page == 437 {
                &oem_cp::code_table::DECODING_TABLE_CP437
            } else {
                &oem_cp::code_table::DECODING_TABLE_CP850
            };
            bytes.iter().map(|&b| if b < 0x80 { b as char } else { table[usize::from(b - 0x80)] }).collect()
        }
        936 => encoding_rs::GBK.decode_without_bom_handling(bytes).0.into_owned(),
        932 => encoding_rs::SHIFT_JIS.decode_without_bom_handling(bytes).0.into_owned(),
        1252 => encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes).0.into_owned(),
        _ => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// The message catalogue. Each method returns the text with its line endings (CRLF).
impl Language {
    /// `ver`'s line without the blank line before it: `Microsoft Windows [Version X]`.
    pub fn ver_line(self, version: &str) -> String {
        let word = self.pick("Version", "版本", "Version", "version", "Version");
        format!("Microsoft Windows [{word} {version}]")
    }

    /// What cmd.exe prints when it starts without `/c`: the version and the copyright line,
    /// then a blank line.
    pub fn cmd_banner(self, os: Os, version: &str) -> String {
        let copyright = match os {
            Os::W2003 => self.pick(
                "(C) Copyright 1985-2003 Microsoft Corp.",
                "(C) 版权所有 1985-2003 Microsoft Corp.",
                "(C) Copyright 1985-2003 Microsoft Corp.",
                "(C) Copyright 1985-2003 Microsoft Corp.",
                "(C) Copyright 1985-2003 Microsoft Corp.",
            ),
            Os::W2008 => self.pick(
                "Copyright (c) 2006 Microsoft Corporation.  All rights reserved.",
                "版权所有 (C) 2006 Microsoft Corporation。保留所有权利。",
                "Copyright (c) 2006 Microsoft Corporation. Alle Rechte vorbehalten.",
                "Copyright (c) 2006 Microsoft Corporation. Tous droits réservés.",
                "Copyright (c) 2006 Microsoft Corporation.  All rights reserved.",
            ),
        };
        format!("{}\r\n{copyright}\r\n\r\n", self.ver_line(version))
    }

    /// `chcp`: the active code page.
    pub fn chcp(self, code_page: u16) -> String {
        match self {
            Language::EnUs => format!("Active code page: {code_page}\r\n"),
            Language::ZhCn => format!("活动代码页: {code_page}\r\n"),
            Language::DeDe => format!("Aktive Codepage: {code_page}.\r\n"),
            Language::FrFr => format!("Page de codes active : {code_page}\r\n"),
            Language::JaJp => format!("現在のコード ページ: {code_page}\r\n"),
        }
    }

    /// `chcp NNN` with a code page Windows does not have.
    pub fn chcp_invalid(self) -> &'static str {
        self.pick(
            "Invalid code page\r\n",
            "无效代码页\r\n",
            "Ungültige Codepage\r\n",
            "Page de codes non valide\r\n",
            "無効なコード ページです\r\n",
        )
    }

    /// cmd.exe's `'x' is not recognized ...` (exit 9009).
    pub fn not_recognized(self, name: &str) -> String {
        match self {
            Language::EnUs => format!(
                "'{name}' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n"
            ),
            Language::ZhCn => format!("'{name}' 不是内部或外部命令，也不是可运行的程序\r\n或批处理文件。\r\n"),
            Language::DeDe => {
                format!("Der Befehl \"{name}\" ist entweder falsch geschrieben oder\r\nkonnte nicht gefunden werden.\r\n")
            }
            Language::FrFr => format!(
                "'{name}' n'est pas reconnu en tant que commande interne\r\nou externe, un programme exécutable ou un fichier de commandes.\r\n"
            ),
            Language::JaJp => format!(
                "'{name}' は、内部コマンドまたは外部コマンド、\r\n操作可能なプログラムまたはバッチ ファイルとして認識されていません。\r\n"
            ),
        }
    }

    /// `echo` with nothing to print.
    pub fn echo_is_on(self) -> &'static str {
        self.pick(
            "ECHO is on.\r\n",
            "ECHO 处于打开状态。\r\n",
            "ECHO ist eingeschaltet (ON).\r\n",
            "Commande ECHO activée.\r\n",
            "ECHO は <ON> です。\r\n",
        )
    }

    /// ERROR_FILE_NOT_FOUND's text.
    pub fn file_not_found(self) -> &'static str {
        self.pick(
            "The system cannot find the file specified.\r\n",
            "系统找不到指定的文件。\r\n",
            "Das System kann die angegebene Datei nicht finden.\r\n",
            "Le fichier spécifié est introuvable.\r\n",
            "指定されたファイルが見つかりません。\r\n",
        )
    }

    /// ERROR_DIR_NOT_EMPTY's text (`rmdir` without `/s`). The translations are guesses.
    pub fn dir_not_empty(self) -> &'static str {
        self.pick(
            "The directory is not empty.\r\n",
            "目录不是空的。\r\n",
            "Das Verzeichnis ist nicht leer.\r\n",
            "Le répertoire n'est pas vide.\r\n",
            "ディレクトリが空ではありません。\r\n",
        )
    }

    /// where.exe's answer when nothing matches (on standard error, exit 1).
    pub fn where_not_found(self) -> &'static str {
        self.pick(
            "INFO: Could not find files for the given pattern(s).\r\n",
            "信息: 用提供的模式无法找到文件。\r\n",
            "INFORMATION: Es wurden keine Dateien mit den angegebenen Mustern gefunden.\r\n",
            "INFO : impossible de trouver des fichiers pour les modèles spécifiés.\r\n",
            "情報: 指定されたパターンのファイルが見つかりませんでした。\r\n",
        )
    }

    /// ERROR_PATH_NOT_FOUND's text.
    pub fn path_not_found(self) -> &'static str {
        self.pick(
            "The system cannot find the path specified.\r\n",
            "系统找不到指定的路径。\r\n",
            "Das System kann den angegebenen Pfad nicht finden.\r\n",
            "Le chemin d'accès spécifié est introuvable.\r\n",
            "指定されたパスが見つかりません。\r\n",
        )
    }

    /// ERROR_ACCESS_DENIED's text.
    pub fn access_denied(self) -> &'static str {
        self.pick(
            "Access is denied.\r\n",
            "拒绝访问。\r\n",
            "Zugriff verweigert\r\n",
            "Accès refusé.\r\n",
            "アクセスが拒否されました。\r\n",
        )
    }

    /// cmd.exe's syntax error.
    pub fn syntax_incorrect(self) -> &'static str {
        self.pick(
            "The syntax of the command is incorrect.\r\n",
            "命令语法不正确。\r\n",
            "Syntaxfehler.\r\n",
            "La syntaxe de la commande n'est pas correcte.\r\n",
            "コマンドの構文が誤っています。\r\n",
        )
    }

    /// ERROR_ELEVATION_REQUIRED's text (exit 740).
    pub fn elevation_required(self) -> &'static str {
        self.pick(
            "The requested operation requires elevation.\r\n",
            "请求的操作需要提升。\r\n",
            "Der angeforderte Vorgang erfordert erhöhte Rechte.\r\n",
            "L'opération demandée nécessite une élévation.\r\n",
            "要求された操作には管理者特権が必要です。\r\n",
        )
    }

    /// `copy`'s count line.
    pub fn files_copied(self, n: u32) -> String {
        match self {
            Language::EnUs => format!("        {n} file(s) copied.\r\n"),
            Language::ZhCn => format!("已复制         {n} 个文件。\r\n"),
            Language::DeDe => format!("        {n} Datei(en) kopiert.\r\n"),
            Language::FrFr => format!("        {n} fichier(s) copié(s).\r\n"),
            Language::JaJp => format!("        {n} 個のファイルをコピーしました。\r\n"),
        }
    }

    /// reg.exe: the key or value does not exist. Server 2003's reg.exe 3.0 words the English
    /// one its own way (`Error:` with two spaces, no period).
    pub fn reg_not_found(self, os: Os) -> &'static str {
        match (self, os) {
            (Language::EnUs, Os::W2003) => {
                "Error:  The system was unable to find the specified registry key or value\r\n"
            }
            _ => self.pick(
                "ERROR: The system was unable to find the specified registry key or value.\r\n",
                "错误: 系统找不到指定的注册表项或值。\r\n",
                "FEHLER: Der angegebene Registrierungsschlüssel bzw. Wert wurde nicht gefunden.\r\n",
                "ERREUR : Le système n'a pas trouvé la clé ou la valeur de Registre spécifiée.\r\n",
                "エラー: 指定されたレジストリ キーまたは値が見つかりませんでした。\r\n",
            ),
        }
    }

    /// reg.exe: access denied.
    pub fn reg_access_denied(self, os: Os) -> &'static str {
        match (self, os) {
            (Language::EnUs, Os::W2003) => "Error:  Access is denied.\r\n",
            _ => self.pick(
                "ERROR: Access is denied.\r\n",
                "错误: 拒绝访问。\r\n",
                "FEHLER: Zugriff verweigert\r\n",
                "ERREUR : Accès refusé.\r\n",
                "エラー: アクセスが拒否されました。\r\n",
            ),
        }
    }

    /// reg.exe: bad command line (`op` is the operation as typed, upper case, or empty).
    pub fn reg_invalid_syntax(self, os: Os, op: &str) -> String {
        let usage = if op.is_empty() { "REG /?".to_string() } else { format!("REG {op} /?") };
        match (self, os) {
            (Language::EnUs, Os::W2003) => format!("Error:  Invalid syntax.\r\nType \"{usage}\" for usage.\r\n"),
            (Language::EnUs, _) => format!("ERROR: Invalid syntax.\r\nType \"{usage}\" for usage.\r\n"),
            (Language::ZhCn, _) => format!("错误: 无效语法。\r\n键入“{usage}”以了解用法。\r\n"),
            (Language::DeDe, _) => {
                format!("FEHLER: Ungültige Syntax.\r\nGeben Sie \"{usage}\" ein, um die Syntax anzuzeigen.\r\n")
            }
            (Language::FrFr, _) => {
                format!("ERREUR : syntaxe incorrecte.\r\nTapez \"{usage}\" pour afficher la syntaxe.\r\n")
            }
            (Language::JaJp, _) => {
                format!("エラー: 無効な構文です。\r\n\"{usage}\" と入力すると使用方法が表示されます。\r\n")
            }
        }
    }

    /// `sc query` of a service that does not exist (exit 1060).
    pub fn sc_no_service(self) -> &'static str {
        self.pick(
            "[SC] EnumQueryServicesStatus:OpenService FAILED 1060:\r\n\r\nThe specified service does not exist as an installed service.\r\n\r\n",
            "[SC] EnumQueryServicesStatus:OpenService 失败 1060:\r\n\r\n指定的服务未安装。\r\n\r\n",
            "[SC] EnumQueryServicesStatus:OpenService FEHLER 1060:\r\n\r\nDer angegebene Dienst ist kein installierter Dienst.\r\n\r\n",
            "[SC] EnumQueryServicesStatus:OpenService ÉCHEC 1060 :\r\n\r\nLe service spécifié n'existe pas en tant que service installé.\r\n\r\n",
            "[SC] EnumQueryServicesStatus:OpenService FAILED 1060:\r\n\r\n指定されたサービスはインストールされたサービスとして存在しません。\r\n\r\n",
        )
    }

    /// findstr: a file it cannot open.
    pub fn findstr_cannot_open(self, name: &str) -> String {
        match self {
            Language::EnUs => format!("FINDSTR: Cannot open {name}\r\n"),
            Language::ZhCn => format!("FINDSTR: 无法打开 {name}\r\n"),
            Language::DeDe => format!("FINDSTR: {name} kann nicht geöffnet werden.\r\n"),
            Language::FrFr => format!("FINDSTR : impossible d'ouvrir {name}\r\n"),
            Language::JaJp => format!("FINDSTR: {name} を開けません。\r\n"),
        }
    }

    /// wmic: the query matched nothing.
    pub fn wmic_no_instance(self) -> &'static str {
        self.pick(
            "No Instance(s) Available.\r\n",
            "没有可用实例。\r\n",
            "Keine Instanz(en) verfügbar.\r\n",
            "Aucune instance disponible.\r\n",
            "利用できるインスタンスがありません。\r\n",
        )
    }

    /// `certutil -hashfile`'s first line.
    pub fn certutil_hash_header(self, algorithm: &str, path: &str) -> String {
        match self {
            Language::EnUs => format!("{algorithm} hash of file {path}:\r\n"),
            Language::ZhCn => format!("{path} 的 {algorithm} 哈希:\r\n"),
            Language::DeDe => format!("{algorithm}-Hash von Datei {path}:\r\n"),
            Language::FrFr => format!("Hachage {algorithm} de {path} :\r\n"),
            Language::JaJp => format!("{algorithm} ハッシュ ({path}):\r\n"),
        }
    }

    /// `certutil -hashfile`'s last line.
    pub fn certutil_done(self) -> &'static str {
        self.pick(
            "CertUtil: -hashfile command completed successfully.\r\n",
            "CertUtil: -hashfile 命令成功完成。\r\n",
            "CertUtil: -hashfile-Befehl wurde erfolgreich ausgeführt.\r\n",
            "CertUtil: -hashfile La commande s'est terminée correctement.\r\n",
            "CertUtil: -hashfile コマンドは正常に完了しました。\r\n",
        )
    }

    /// The `ERROR:` / `SUCCESS:` words of schtasks.
    fn schtasks_word(self, success: bool) -> &'static str {
        if success {
            self.pick("SUCCESS:", "成功:", "ERFOLGREICH:", "Opération réussie :", "成功:")
        } else {
            self.pick("ERROR:", "错误:", "FEHLER:", "ERREUR :", "エラー:")
        }
    }

    /// `schtasks /create` succeeded.
    pub fn task_created(self, name: &str) -> String {
        let word = self.schtasks_word(true);
        match self {
            Language::EnUs => format!("{word} The scheduled task \"{name}\" has successfully been created.\r\n"),
            Language::ZhCn => format!("{word} 成功创建计划任务 \"{name}\"。\r\n"),
            Language::DeDe => format!("{word} Die geplante Aufgabe \"{name}\" wurde erfolgreich erstellt.\r\n"),
            Language::FrFr => format!("{word} la tâche planifiée \"{name}\" a été créée.\r\n"),
            Language::JaJp => format!("{word} スケジュール タスク \"{name}\" は正しく作成されました。\r\n"),
        }
    }

    /// `schtasks /run` succeeded.
    pub fn task_started(self, name: &str) -> String {
        let word = self.schtasks_word(true);
        match self {
            Language::EnUs => format!("{word} Attempted to run the scheduled task \"{name}\".\r\n"),
            Language::ZhCn => format!("{word} 尝试运行 \"{name}\"。\r\n"),
            Language::DeDe => format!("{word} Es wurde versucht, die geplante Aufgabe \"{name}\" auszuführen.\r\n"),
            Language::FrFr => format!("{word} tentative d'exécution de la tâche planifiée \"{name}\".\r\n"),
            Language::JaJp => format!("{word} スケジュール タスク \"{name}\" の実行が試行されました。\r\n"),
        }
    }

    /// `schtasks /delete` succeeded.
    pub fn task_deleted(self, name: &str) -> String {
        let word = self.schtasks_word(true);
        match self {
            Language::EnUs => format!("{word} The scheduled task \"{name}\" was successfully deleted.\r\n"),
            Language::ZhCn => format!("{word} 计划的任务 \"{name}\" 被成功删除。\r\n"),
            Language::DeDe => format!("{word} Die geplante Aufgabe \"{name}\" wurde erfolgreich gelöscht.\r\n"),
            Language::FrFr => format!("{word} la tâche planifiée \"{name}\" a été supprimée.\r\n"),
            Language::JaJp => format!("{word} スケジュール タスク \"{name}\" は正しく削除されました。\r\n"),
        }
    }

    /// schtasks: the task does not exist.
    pub fn task_not_found(self) -> String {
        format!("{} {}", self.schtasks_word(false), self.file_not_found())
    }

    /// schtasks: `/create` without `/f` over an existing task.
    pub fn task_exists(self) -> String {
        let text = self.pick(
            "Cannot create a file when that file already exists.",
            "当文件已存在时，无法创建该文件。",
            "Eine Datei kann nicht erstellt werden, wenn sie bereits vorhanden ist.",
            "Impossible de créer un fichier déjà existant.",
            "既に存在するファイルを作成することはできません。",
        );
        format!("{} {text}\r\n", self.schtasks_word(false))
    }

    /// schtasks: an option it does not know (`/rl` on Server 2003).
    pub fn task_bad_option(self, option: &str, usage: &str) -> String {
        let word = self.schtasks_word(false);
        match self {
            Language::EnUs => format!("{word} Invalid argument/option - '{option}'.\r\nType \"{usage}\" for usage.\r\n"),
            Language::ZhCn => format!("{word} 无效参数/选项 - '{option}'。\r\n键入 \"{usage}\" 以了解用法。\r\n"),
            Language::DeDe => format!("{word} Ungültiges Argument/Option - \"{option}\".\r\nGeben Sie \"{usage}\" ein, um die Syntax anzuzeigen.\r\n"),
            Language::FrFr => format!("{word} Argument/option non valide - '{option}'.\r\nTapez \"{usage}\" pour afficher la syntaxe.\r\n"),
            Language::JaJp => format!("{word} 無効な引数またはオプションです - '{option}'。\r\n\"{usage}\" と入力すると使用方法が表示されます。\r\n"),
        }
    }

    /// A task's `Status`: running, or ready (Server 2008; 2003 leaves it blank).
    pub fn task_status(self, running: bool) -> &'static str {
        if running {
            self.pick("Running", "正在运行", "Wird ausgeführt", "En cours d'exécution", "実行中")
        } else {
            self.pick("Ready", "就绪", "Bereit", "Prêt", "準備完了")
        }
    }

    /// A task's `Scheduled Task State` when enabled.
    pub fn task_enabled(self) -> &'static str {
        self.pick("Enabled", "已启用", "Aktiviert", "Activée", "有効")
    }

    /// A task's `Logon Mode` (Server 2008).
    pub fn task_logon_mode(self) -> &'static str {
        self.pick(
            "Interactive/Background",
            "交互方式/后台",
            "Interaktiv/Hintergrund",
            "Interactif/Arrière-plan",
            "対話型/バックグラウンド",
        )
    }

    /// A date and time as schtasks prints them in this language's default regional format.
    pub fn task_datetime(self, ts: crate::host::Timestamp) -> String {
        let c = crate::host::clock::civil(ts);
        match self {
            Language::EnUs => crate::host::clock::us_datetime(ts),
            Language::ZhCn => format!("{}/{}/{} {}:{:02}:{:02}", c.year, c.month, c.day, c.hour, c.minute, c.second),
            Language::DeDe => {
                format!("{:02}.{:02}.{} {:02}:{:02}:{:02}", c.day, c.month, c.year, c.hour, c.minute, c.second)
            }
            Language::FrFr => {
                format!("{:02}/{:02}/{} {:02}:{:02}:{:02}", c.day, c.month, c.year, c.hour, c.minute, c.second)
            }
            Language::JaJp => {
                format!("{}/{:02}/{:02} {}:{:02}:{:02}", c.year, c.month, c.day, c.hour, c.minute, c.second)
            }
        }
    }

    /// `dir`'s date and time column.
    pub fn dir_stamp(self, ts: crate::host::Timestamp) -> String {
        let c = crate::host::clock::civil(ts);
        match self {
            Language::EnUs => crate::host::clock::dir_stamp(ts),
            Language::ZhCn | Language::JaJp => {
                format!("{}/{:02}/{:02}  {:02}:{:02}", c.year, c.month, c.day, c.hour, c.minute)
            }
            Language::DeDe => format!("{:02}.{:02}.{}  {:02}:{:02}", c.day, c.month, c.year, c.hour, c.minute),
            Language::FrFr => format!("{:02}/{:02}/{}  {:02}:{:02}", c.day, c.month, c.year, c.hour, c.minute),
        }
    }

    /// `dir`'s header: the volume and serial number lines and a blank line.
    pub fn dir_volume(self, serial: &str) -> String {
        match self {
            Language::EnUs => format!(" Volume in drive C has no label.\r\n Volume Serial Number is {serial}\r\n\r\n"),
            Language::ZhCn => format!(" 驱动器 C 中的卷没有标签。\r\n 卷的序列号是 {serial}\r\n\r\n"),
            Language::DeDe => {
                format!(" Volume in Laufwerk C: hat keine Bezeichnung.\r\n Volumeseriennummer: {serial}\r\n\r\n")
            }
            Language::FrFr => {
                format!(" Le volume dans le lecteur C n'a pas de nom.\r\n Le numéro de série du volume est {serial}\r\n\r\n")
            }
            Language::JaJp => format!(
                " ドライブ C のボリュームにはラベルがありません。\r\n ボリューム シリアル番号は {serial} です\r\n\r\n"
            ),
        }
    }

    /// `dir`'s ` Directory of X` line and the blank line after it.
    pub fn dir_of(self, dir: &str) -> String {
        match self {
            Language::EnUs => format!(" Directory of {dir}\r\n\r\n"),
            Language::ZhCn => format!(" {dir} 的目录\r\n\r\n"),
            Language::DeDe => format!(" Verzeichnis von {dir}\r\n\r\n"),
            Language::FrFr => format!(" Répertoire de {dir}\r\n\r\n"),
            Language::JaJp => format!(" {dir} のディレクトリ\r\n\r\n"),
        }
    }

    /// `dir` of something that does not exist.
    pub fn dir_not_found(self) -> &'static str {
        self.pick(
            "File Not Found\r\n",
            "找不到文件\r\n",
            "Datei nicht gefunden\r\n",
            "Fichier introuvable\r\n",
            "ファイルが見つかりません\r\n",
        )
    }

    /// `1234567` grouped as this language groups thousands (`1,234,567`, `1.234.567`,
    /// French: a no-break space).
    pub fn group_digits(self, n: u64) -> String {
        let sep = match self {
            Language::DeDe => '.',
            Language::FrFr => '\u{a0}',
            _ => ',',
        };
        let digits = n.to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push(sep);
            }
            out.push(c);
        }
        out
    }

    /// `dir`'s two summary lines; `grouped` false for `dir /-c` (no thousands separators).
    pub fn dir_summary(self, files: u64, bytes: u64, dirs: u64, free: u64, grouped: bool) -> String {
        let number = |n: u64| if grouped { self.group_digits(n) } else { n.to_string() };
        let (bytes, free) = (number(bytes), number(free));
        match self {
            Language::EnUs => {
                format!("{files:>16} File(s) {bytes:>14} bytes\r\n{dirs:>16} Dir(s) {free:>15} bytes free\r\n")
            }
            Language::ZhCn => format!("{files:>16} 个文件 {bytes:>14} 字节\r\n{dirs:>16} 个目录 {free:>15} 可用字节\r\n"),
            Language::DeDe => {
                format!("{files:>16} Datei(en), {bytes:>14} Bytes\r\n{dirs:>16} Verzeichnis(se), {free:>15} Bytes frei\r\n")
            }
            Language::FrFr => {
                format!("{files:>16} fichier(s) {bytes:>14} octets\r\n{dirs:>16} Rép(s) {free:>15} octets libres\r\n")
            }
            Language::JaJp => format!(
                "{files:>16} 個のファイル {bytes:>14} バイト\r\n{dirs:>16} 個のディレクトリ {free:>15} バイトの空き領域\r\n"
            ),
        }
    }

    /// The words of `whoami /groups`.
    pub fn whoami(self) -> WhoamiWords {
        match self {
            Language::EnUs => WhoamiWords {
                title: "GROUP INFORMATION",
                columns: ["Group Name", "Type", "SID", "Attributes"],
                well_known: "Well-known group",
                alias: "Alias",
                label: "Label",
                enabled: "Mandatory group, Enabled by default, Enabled group",
                owner: "Group owner",
                deny_only: "Group used for deny only",
                everyone: "Everyone",
                administrators: "BUILTIN\\Administrators",
                users: "BUILTIN\\Users",
                network: "NT AUTHORITY\\NETWORK",
                authenticated: "NT AUTHORITY\\Authenticated Users",
                organization: "NT AUTHORITY\\This Organization",
                labels: [
                    "Mandatory Label\\Medium Mandatory Level",
                    "Mandatory Label\\High Mandatory Level",
                    "Mandatory Label\\System Mandatory Level",
                ],
            },
            Language::ZhCn => WhoamiWords {
                title: "组信息",
                columns: ["组名", "类型", "SID", "属性"],
                well_known: "已知组",
                alias: "别名",
                label: "标签",
                enabled: "必需的组, 启用于默认, 启用的组",
                owner: "组的所有者",
                deny_only: "仅用于拒绝的组",
                everyone: "Everyone",
                administrators: "BUILTIN\\Administrators",
                users: "BUILTIN\\Users",
                network: "NT AUTHORITY\\NETWORK",
                authenticated: "NT AUTHORITY\\Authenticated Users",
                organization: "NT AUTHORITY\\This Organization",
                labels: [
                    "Mandatory Label\\Medium Mandatory Level",
                    "Mandatory Label\\High Mandatory Level",
                    "Mandatory Label\\System Mandatory Level",
                ],
            },
            Language::DeDe => WhoamiWords {
                title: "GRUPPENINFORMATIONEN",
                columns: ["Gruppenname", "Typ", "SID", "Attribute"],
                well_known: "Bekannte Gruppe",
                alias: "Alias",
                label: "Bezeichnung",
                enabled: "Verbindliche Gruppe, Standardmäßig aktiviert, Aktivierte Gruppe",
                owner: "Gruppenbesitzer",
                deny_only: "Nur für Verweigern verwendete Gruppe",
                everyone: "Jeder",
                administrators: "VORDEFINIERT\\Administratoren",
                users: "VORDEFINIERT\\Benutzer",
                network: "NT-AUTORITÄT\\NETZWERK",
                authenticated: "NT-AUTORITÄT\\Authentifizierte Benutzer",
                organization: "NT-AUTORITÄT\\Diese Organisation",
                labels: [
                    "Verbindliche Beschriftung\\Mittlere Verbindlichkeitsstufe",
                    "Verbindliche Beschriftung\\Hohe Verbindlichkeitsstufe",
                    "Verbindliche Beschriftung\\Systemverbindlichkeitsstufe",
                ],
            },
            Language::FrFr => WhoamiWords {
                title: "INFORMATIONS DE GROUPE",
                columns: ["Nom du groupe", "Type", "SID", "Attributs"],
                well_known: "Groupe bien connu",
                alias: "Alias",
                label: "Étiquette",
                enabled: "Groupe obligatoire, Activé par défaut, Groupe activé",
                owner: "Propriétaire du groupe",
                deny_only: "Groupe utilisé pour refuser uniquement",
                everyone: "Tout le monde",
                administrators: "BUILTIN\\Administrateurs",
                users: "BUILTIN\\Utilisateurs",
                network: "AUTORITE NT\\RESEAU",
                authenticated: "AUTORITE NT\\Utilisateurs authentifiés",
                organization: "AUTORITE NT\\Cette organisation",
                labels: [
                    "Étiquette obligatoire\\Niveau obligatoire moyen",
                    "Étiquette obligatoire\\Niveau obligatoire élevé",
                    "Étiquette obligatoire\\Niveau obligatoire système",
                ],
            },
            Language::JaJp => WhoamiWords {
                title: "グループ情報",
                columns: ["グループ名", "種類", "SID", "属性"],
                well_known: "よく知られたグループ",
                alias: "エイリアス",
                label: "ラベル",
                enabled: "固定グループ, 既定で有効, 有効なグループ",
                owner: "グループの所有者",
                deny_only: "拒否のみに使用するグループ",
                everyone: "Everyone",
                administrators: "BUILTIN\\Administrators",
                users: "BUILTIN\\Users",
                network: "NT AUTHORITY\\NETWORK",
                authenticated: "NT AUTHORITY\\Authenticated Users",
                organization: "NT AUTHORITY\\This Organization",
                labels: [
                    "Mandatory Label\\Medium Mandatory Level",
                    "Mandatory Label\\High Mandatory Level",
                    "Mandatory Label\\System Mandatory Level",
                ],
            },
        }
    }

    /// The .NET message of a duplicate-key `ArgumentException` in the WSUS server log, in the
    /// language the server's .NET writes it: Chinese on zh-CN; English elsewhere (.NET
    /// commonly ships without a language pack on servers).
    pub fn localize_log_line(self, line: &str) -> String {
        const ENGLISH: &str = "Item has already been added.";
        let body = line.trim_end_matches(['\r', '\n']);
        let ending = &line[body.len()..];
        match (self, body.find(ENGLISH)) {
            (Language::ZhCn, Some(at)) => format!("{}已添加了具有相同键的项。{ending}", &body[..at]),
            _ => line.to_string(),
        }
    }
}

/// The words `whoami /groups` prints, by language.
#[derive(Debug, Clone, Copy)]
pub struct WhoamiWords {
    pub title: &'static str,
    pub columns: [&'static str; 4],
    pub well_known: &'static str,
    pub alias: &'static str,
    pub label: &'static str,
    pub enabled: &'static str,
    pub owner: &'static str,
    pub deny_only: &'static str,
    pub everyone: &'static str,
    pub administrators: &'static str,
    pub users: &'static str,
    pub network: &'static str,
    pub authenticated: &'static str,
    pub organization: &'static str,
    /// Medium, high and system mandatory levels.
    pub labels: [&'static str; 3],
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_tags_and_code_pages() {
        assert_eq!(Language::parse("zh-cn"), Some(Language::ZhCn));
        assert_eq!(Language::parse("ja_JP"), Some(Language::JaJp));
        assert_eq!(Language::parse("de"), Some(Language::DeDe));
        assert_eq!(Language::parse("xx-YY"), None);
        assert_eq!("fr-FR".parse::<Language>().unwrap().oem_code_page(), 850);
        assert_eq!(Language::default().oem_code_page(), 437);
        let yaml: Language = serde_yaml::from_str("zh-CN").unwrap();
        assert_eq!(yaml, Language::ZhCn);
    }

    #[test]
    fn encoders_use_the_code_page_tables() {
        assert_eq!(encode("ü ® ©", 437), vec![0x81, b' ', 0xA9, b' ', 0xB8]);
        assert_eq!(encode("schlüssel ö", 850), b"schl\x81ssel \x94".to_vec());
        assert_eq!(encode("é", 850), vec![0x82]);
        assert_eq!(encode("エラー", 932), vec![0x83, 0x47, 0x83, 0x89, 0x81, 0x5B]);
        assert_eq!(encode("错误", 936), vec![0xB4, 0xED, 0xCE, 0xF3]);
        assert_eq!(encode("错", 850), b"?".to_vec(), "unmappable characters become ?");
        assert_eq!(encode("™", 936), b"?".to_vec());
        assert_eq!(decode(&encode("活动代码页", 936), 936), "活动代码页");
        assert_eq!(decode(&[0x81], 437), "ü");
    }

    #[test]
    fn log_line_in_chinese() {
        let line =
            "x\tSystem.ArgumentException: Item has already been added. Key in dictionary: '1'  Key being added: '1'";
        assert_eq!(Language::ZhCn.localize_log_line(line), "x\tSystem.ArgumentException: 已添加了具有相同键的项。");
        assert_eq!(Language::DeDe.localize_log_line(line), line);
    }
}
