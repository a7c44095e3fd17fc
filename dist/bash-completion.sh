# bash completion for ward. The commands and each command's options come from
# ward's own manuals (`ward --help`, `ward help CMD`), so they are never out of
# date with the binary installed.
_ward()
{
    local cur prev words cword
    _init_completion || return
    local i cmd=""
    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in
            --store) ((i++)) ;;
            -*) ;;
            *) cmd=${words[i]}; break ;;
        esac
    done
    if [[ -z $cmd ]]; then
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W '--version --help --store' -- "$cur"))
        else
            COMPREPLY=($(compgen -W "$(ward --help 2>/dev/null |
                awk '/^Commands:/ {on=1; next} on && /^$/ {exit} on {print $1}')" -- "$cur"))
        fi
        return
    fi
    if [[ $cmd == help ]]; then
        COMPREPLY=($(compgen -W "$(ward --help 2>/dev/null |
            awk '/^Commands:/ {on=1; next} on && /^$/ {exit} on {print $1}')" -- "$cur"))
        return
    fi
    case $prev in
        --data|--out|--scans|--releases|--key-file|--tls-cert|--tls-key|--port-file|-o|--key|--cacert)
            _filedir; return ;;
    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$(ward help "$cmd" 2>/dev/null |
            grep -o -- '--[a-z][a-z0-9-]*' | sort -u)" -- "$cur"))
        return
    fi
    # The first word after a command with actions is the action.
    if [[ $cword -eq $((i + 1)) ]]; then
        local actions
        actions=$(ward help "$cmd" 2>/dev/null |
            awk '/^ACTIONS/ {on=1; next} /^[A-Z]/ {on=0} on && /^    [a-z][a-z-]*( |$)/ {print $1}')
        if [[ -n $actions ]]; then
            COMPREPLY=($(compgen -W "$actions" -- "$cur"))
            return
        fi
    fi
    _filedir
}
complete -F _ward ward
