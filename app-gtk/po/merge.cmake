# Merges po/libsync-app.pot into every catalogue listed in po/LINGUAS (app-update-po target).
file(STRINGS ${PO_DIR}/LINGUAS langs REGEX "^[a-zA-Z_@]+$")
foreach(lang ${langs})
  execute_process(COMMAND ${MSGMERGE} --update --backup=none --no-fuzzy-matching
                  ${PO_DIR}/${lang}.po ${PO_DIR}/libsync-app.pot RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "msgmerge failed for ${lang}.po")
  endif()
endforeach()
