# goshim activation for fish: `go` runs through goshim. Add to ~/.config/fish/config.fish:
#   source /path/to/goshim/shims/activate.fish
# `goshim install` creates the link this directory holds.
set -l goshim_data $XDG_DATA_HOME
test -n "$goshim_data"; or set goshim_data $HOME/.local/share
fish_add_path --prepend --path --move $goshim_data/goshim/bin
# Completion for the goshim command itself.
if command -q goshim
    goshim completions fish | source
end
