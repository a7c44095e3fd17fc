/* The grading page: HTML, script and style served by server.c. */
#ifndef WARD_GRADE_PAGE_H
#define WARD_GRADE_PAGE_H
extern const char grade_page_html[];
extern const char grade_page_js[];
extern const char grade_page_css[];
#endif
