# Install-time step of dist/install.cmake: the unit templates with @BINDIR@
# replaced by the binary directory under the prefix being installed to, and
# ward.pc with that prefix.
if(IS_ABSOLUTE "${WARD_BINDIR}")
  set(bindir "${WARD_BINDIR}")
else()
  set(bindir "${CMAKE_INSTALL_PREFIX}/${WARD_BINDIR}")
endif()
file(REMOVE_RECURSE "${WARD_OUT}/units")
foreach(src ${WARD_UNIT_SOURCES})
  get_filename_component(name "${src}" NAME)
  string(REGEX REPLACE "\\.in$" "" name "${name}")
  file(READ "${src}" text)
  string(REPLACE "@BINDIR@" "${bindir}" text "${text}")
  file(WRITE "${WARD_OUT}/units/${name}" "${text}")
endforeach()
file(READ "${WARD_OUT}/ward.pc.in" text)
string(REPLACE "%PREFIX%" "${CMAKE_INSTALL_PREFIX}" text "${text}")
file(WRITE "${WARD_OUT}/ward.pc" "${text}")
