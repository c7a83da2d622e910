"""The operator console's screens (/staff and below): its login, the page behind an enrolment link, the console's start
page and the staff list; `frame` is the console's frame, which every console screen sits in."""
