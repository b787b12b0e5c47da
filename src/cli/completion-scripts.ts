// The scripts `pks completion <shell>` prints. Each asks `pks __complete`
// with the words typed so far and offers its lines; when there are none (a
// project path, a file) the shell completes file names. The candidates are
// read line by line, never evaluated: bash's `compgen -W` would expand them.

export const COMPLETION_SCRIPTS = {
  bash: `# pks completion for bash.
# This shell:        source <(pks completion bash)
# Every new shell:   pks completion bash > ~/.local/share/bash-completion/completions/pks
_pks_complete() {
    local line
    local -a words=("\${COMP_WORDS[@]:1:COMP_CWORD}")
    COMPREPLY=()
    while IFS= read -r line; do
        [[ -n $line ]] && COMPREPLY+=("$line")
    done < <(pks __complete "\${words[@]}" 2>/dev/null)
}
complete -o default -o bashdefault -F _pks_complete pks
`,
  zsh: `#compdef pks
# pks completion for zsh.
# This shell (after compinit):  source <(pks completion zsh)
# Every new shell:              pks completion zsh > "\${fpath[1]}/_pks"
_pks() {
    local line
    local -a candidates
    for line in "\${(@f)$(pks __complete "\${(@)words[2,CURRENT]}" 2>/dev/null)}"; do
        [[ -n $line ]] && candidates+=("$line")
    done
    if (( \${#candidates} > 0 )); then
        compadd -- "\${candidates[@]}"
    else
        _files
    fi
}
if [[ "\${funcstack[1]}" == "_pks" ]]; then
    _pks "$@"
else
    compdef _pks pks
fi
`,
  fish: `# pks completion for fish.
# This shell:        pks completion fish | source
# Every new shell:   pks completion fish > ~/.config/fish/completions/pks.fish
function __pks_complete
    set -l words (commandline -opc)
    set -e words[1]
    set -l candidates (pks __complete $words (commandline -ct) 2>/dev/null)
    if test (count $candidates) -gt 0
        printf '%s\\n' $candidates
    else
        __fish_complete_path (commandline -ct)
    end
end
complete -c pks -f -a '(__pks_complete)'
`,
} as const;

export type CompletionShell = keyof typeof COMPLETION_SCRIPTS;
