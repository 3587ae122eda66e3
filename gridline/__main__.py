from gridline.cli import main

raise SystemExit(main())
