# goshim activation for zsh: `go` runs through goshim. Add to ~/.zshrc:
#   source /path/to/goshim/shims/activate.zsh
# `goshim install` creates the link this directory holds.
goshim_bin="${XDG_DATA_HOME:-$HOME/.local/share}/goshim/bin"
path=("$goshim_bin" ${path:#$goshim_bin})
export PATH
unset goshim_bin
# Completion for the goshim command itself (after compinit).
if (( $+commands[goshim] )) && (( $+functions[compdef] )); then
  eval "$(goshim completions zsh)"
fi
