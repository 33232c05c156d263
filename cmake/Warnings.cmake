# sync_strict(target): our own code builds with warnings as errors; third-party headers are system includes.
function(sync_strict target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
    -Wformat=2 -Wvla -Wno-unused-parameter)
endfunction()
