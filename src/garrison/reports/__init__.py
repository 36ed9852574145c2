"""Reports (báo cáo): shift, daily situation and final evaluation; incident report forms."""
